// --protocol auto: is a connection TinyPB or rocket's framing-less string
// protocol? Decided from the first bytes of either direction.

import {decodeFrame, MIN_FRAME, PK_LEN_AT, START} from '../../decoders/tinypb/index.js'

export type Protocol = 'tinypb' | 'string'

/**
 * How many bytes of a stream that did not start at its SYN are searched for a
 * whole TinyPB frame before it is called string.
 */
export const DETECT_SCAN_BYTES = 4096

/** Bytes buffered while undecided, at most: a consistent frame header this far in is taken as TinyPB. */
export const DETECT_WAIT_LIMIT = 1024 * 1024

/** The largest pk_len the wire can carry (a signed 32-bit length). */
const MAX_PK_LEN = 0x7fffffff

export interface DetectOptions {
  /** The bytes begin at the stream's first byte (its SYN was seen, no gap since). */
  streamStart: boolean
  /** No more bytes will come (FIN, RST or end of capture): decide now. */
  final: boolean
  /** Largest frame accepted; default the decoder's. */
  maxFrame?: number
}

/**
 * 'tinypb', 'string', or undefined when more bytes are needed.
 *
 * At a stream start TinyPB must begin with 0x02 and a header whose lengths fit
 * its pk_len: a text message fails that at once. Mid-stream, a whole frame (start
 * byte, consistent lengths, end byte 0x03 where pk_len says) must turn up within
 * the first DETECT_SCAN_BYTES; the odds of that in text are nil. The stream's
 * bytes are bytes[from..to).
 */
export function detectProtocol(bytes: Buffer, opts: DetectOptions, from = 0, to = bytes.length): Protocol | undefined {
  const n = to - from
  if (n === 0) return opts.final ? 'string' : undefined
  if (opts.streamStart) {
    if (bytes[from] !== START) return 'string'
    let r = decodeFrame(bytes, from, to, opts.maxFrame)
    // A frame too large for --buffer-limit is still TinyPB (reported PK_LEN_TOO_LARGE and skipped),
    // when the rest of its header is consistent: shown as text, a 60 MiB frame was 60 MiB of chunk lines.
    if (r.kind === 'error' && r.code === 'PK_LEN_TOO_LARGE') r = decodeFrame(bytes, from, to, MAX_PK_LEN)
    if (r.kind === 'frame') return 'tinypb'
    if (r.kind === 'error') return 'string'
    // A consistent header so far: wait for the frame, unless no more is coming.
    if (opts.final) return n >= PK_LEN_AT + 4 ? 'tinypb' : 'string'
    return n >= DETECT_SCAN_BYTES ? 'tinypb' : undefined
  }
  const end = from + Math.min(n, DETECT_SCAN_BYTES + MIN_FRAME)
  let waiting = false
  for (let at = bytes.indexOf(START, from); at !== -1 && at < end; at = bytes.indexOf(START, at + 1)) {
    const r = decodeFrame(bytes, at, to, opts.maxFrame)
    if (r.kind === 'frame') return 'tinypb'
    if (r.kind === 'incomplete' && at - from < DETECT_SCAN_BYTES) waiting = true
  }
  if (opts.final) return 'string'
  // A frame start with a consistent header may be a long frame still arriving; bound the wait.
  if (waiting) return n >= DETECT_WAIT_LIMIT ? 'tinypb' : undefined
  return n >= DETECT_SCAN_BYTES ? 'string' : undefined
}
