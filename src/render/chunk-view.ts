import {hexEscape, printableText} from '../../decoders/string/index.js'
import {hexdump} from './hexdump.js'

// rocket's string protocol has no framing: a message is whatever bytes one
// read() returned. All a decoder can do is show each chunk as it arrived, as
// text where it is printable and as a hex dump otherwise.
//
// TCP may cut a multi-byte UTF-8 character between two chunks. A chunk that is
// text apart from such a cut piece at its start or end is still shown as text,
// with the cut bytes written as \xNN, instead of falling back to a hex dump.

const CR = 0x0d
const LF = 0x0a

interface ChunkViewBase {
  /** Bytes in the chunk. */
  readonly length: number
  /** Bytes shown (maxBytes may cut the view short). */
  readonly shown: number
  /** Bytes not shown: length - shown. */
  readonly omitted: number
  /** Display lines: text lines (no line terminators), or hex dump lines. */
  readonly lines: string[]
}

export interface TextChunkView extends ChunkViewBase {
  readonly kind: 'text'
  /** The shown bytes as text; a UTF-8 character cut at either edge appears as \xNN escapes. */
  readonly text: string
}

export interface BinaryChunkView extends ChunkViewBase {
  readonly kind: 'binary'
}

export type ChunkView = TextChunkView | BinaryChunkView

export interface DescribeOptions {
  /** Show at most this many bytes (default: all). */
  maxBytes?: number
  /** Offset printed on the first hex dump line, e.g. the chunk's position in its stream (default 0). */
  offset?: number
}

function isContinuation(b: number): boolean {
  return (b & 0xc0) === 0x80
}

/** Bytes a UTF-8 sequence takes, from its lead byte (0 for a byte that cannot lead one). */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2
  if (lead >= 0xe0 && lead <= 0xef) return 3
  if (lead >= 0xf0 && lead <= 0xf4) return 4
  return 0
}

/** Continuation bytes at the start that belong to a character begun in the previous chunk (at most 3). */
function cutHead(bytes: Uint8Array): number {
  let n = 0
  while (n < 3 && n < bytes.length && isContinuation(bytes[n])) n++
  return n
}

/** Bytes at the end that begin a character the next chunk completes (at most 3). */
function cutTail(bytes: Uint8Array, from: number): number {
  for (let back = 1; back <= 3 && bytes.length - back >= from; back++) {
    const b = bytes[bytes.length - back]
    if (isContinuation(b)) continue
    const need = sequenceLength(b)
    return need > back ? back : 0
  }
  return 0
}

function escapeHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += hexEscape(b)
  return s
}

/** A CR not followed by LF would move a terminal's cursor back over the line: only CRLF (or a CR cut at the end) passes. */
function hasLoneCr(bytes: Uint8Array): boolean {
  for (let i = bytes.indexOf(CR); i !== -1 && i < bytes.length - 1; i = bytes.indexOf(CR, i + 1)) {
    if (bytes[i + 1] !== LF) return true
  }
  return false
}

function textLines(text: string): string[] {
  if (text.length === 0) return []
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
}

function asText(bytes: Uint8Array): string | undefined {
  if (hasLoneCr(bytes)) return undefined
  const whole = printableText(bytes)
  if (whole !== undefined) return whole
  const head = cutHead(bytes)
  const tail = cutTail(bytes, head)
  if (head + tail === 0 || head + tail >= bytes.length) return undefined
  const middle = printableText(bytes.subarray(head, bytes.length - tail))
  if (middle === undefined) return undefined
  return escapeHex(bytes.subarray(0, head)) + middle + escapeHex(bytes.subarray(bytes.length - tail))
}

/**
 * How to show one chunk of a string-protocol stream: text lines when the bytes
 * are printable UTF-8 (tab, LF and CRLF allowed), else hex dump lines.
 */
export function describeChunk(bytes: Uint8Array, opts: DescribeOptions = {}): ChunkView {
  const length = bytes.length
  const shown = Math.max(0, Math.min(length, opts.maxBytes ?? length))
  const view = bytes.subarray(0, shown)
  const base = {length, shown, omitted: length - shown}
  const text = asText(view)
  if (text !== undefined) return {kind: 'text', ...base, text, lines: textLines(text)}
  return {kind: 'binary', ...base, lines: hexdump(view, {offset: opts.offset ?? 0})}
}
