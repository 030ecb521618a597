import {packetError, type PacketError} from './packet-result.js'
import type {TcpOptions} from './segment.js'

/** TCP header without options: 5 words. */
export const TCP_MIN_HEADER = 20

// TCP option kinds (RFC 9293, RFC 7323, RFC 2018).
const OPT_EOL = 0
const OPT_NOP = 1
const OPT_MSS = 2 // len 4
const OPT_WSCALE = 3 // len 3
const OPT_SACK_PERMITTED = 4 // len 2
const OPT_SACK = 5 // len 2 + 8n
const OPT_TIMESTAMPS = 8 // len 10

/** The fixed TCP header fields, with where the payload starts. */
export interface TcpHeader {
  readonly srcPort: number
  readonly dstPort: number
  readonly seq: number
  readonly ack: number
  readonly flags: number
  readonly window: number
  readonly options: TcpOptions
  /** Offset of the payload in the captured bytes. */
  readonly payloadAt: number
}

const NO_OPTIONS: TcpOptions = Object.freeze({})

/**
 * The TCP header at b[o..], inside an IP packet that ends at ipEnd on the wire.
 * Malformed options end option parsing without failing the segment: the
 * kernel does the same (tcp_parse_options stops at a bad length) and still
 * delivers the payload.
 */
export function decodeTcpHeader(b: Uint8Array, o: number, ipEnd: number): TcpHeader | PacketError {
  if (ipEnd - o < TCP_MIN_HEADER) {
    return packetError('BAD_TCP_DATA_OFFSET', 'tcp', o, `IP payload of ${ipEnd - o} bytes is too short for a TCP header`)
  }
  if (b.length < o + TCP_MIN_HEADER) {
    return packetError('TRUNCATED', 'tcp', o, `TCP header needs ${TCP_MIN_HEADER} bytes, ${b.length - o} captured`)
  }
  const dataOffset = (b[o + 12] >> 4) * 4
  if (dataOffset < TCP_MIN_HEADER) {
    return packetError('BAD_TCP_DATA_OFFSET', 'tcp', o + 12, `TCP data offset ${dataOffset} is below 20`)
  }
  if (o + dataOffset > ipEnd) {
    return packetError('BAD_TCP_DATA_OFFSET', 'tcp', o + 12, `TCP data offset ${dataOffset} runs past the IP payload of ${ipEnd - o} bytes`)
  }
  if (b.length < o + dataOffset) {
    return packetError('TRUNCATED', 'tcp', o, `TCP header with options needs ${dataOffset} bytes, ${b.length - o} captured`)
  }
  return {
    srcPort: (b[o] << 8) | b[o + 1],
    dstPort: (b[o + 2] << 8) | b[o + 3],
    seq: ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0,
    ack: ((b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11]) >>> 0,
    flags: b[o + 13],
    window: (b[o + 14] << 8) | b[o + 15],
    options: decodeTcpOptions(b, o + TCP_MIN_HEADER, o + dataOffset),
    payloadAt: o + dataOffset,
  }
}

/**
 * TCP options in b[at..end). `timestamps`: an object to answer the common case
 * (NOP, NOP, timestamps) in, refilled, for a caller done with the options
 * before the next packet (see SegmentSlot).
 */
export function decodeTcpOptions(b: Uint8Array, at: number, end: number, timestamps?: {tsVal: number; tsEcr: number}): TcpOptions {
  if (at >= end) return NO_OPTIONS
  // What Linux puts on every segment after the handshake: NOP, NOP, timestamps.
  if (end - at === 12 && b[at] === OPT_NOP && b[at + 1] === OPT_NOP && b[at + 2] === OPT_TIMESTAMPS && b[at + 3] === 10) {
    if (timestamps === undefined) return {tsVal: read32(b, at + 4), tsEcr: read32(b, at + 8)}
    timestamps.tsVal = read32(b, at + 4)
    timestamps.tsEcr = read32(b, at + 8)
    return timestamps
  }
  const opts: {-readonly [K in keyof TcpOptions]: TcpOptions[K]} = {}
  while (at < end) {
    const kind = b[at]
    if (kind === OPT_EOL) break
    if (kind === OPT_NOP) {
      at++
      continue
    }
    if (at + 2 > end) break
    const len = b[at + 1]
    if (len < 2 || at + len > end) break
    switch (kind) {
      case OPT_MSS:
        if (len === 4) opts.mss = (b[at + 2] << 8) | b[at + 3]
        break
      case OPT_WSCALE:
        if (len === 3) opts.windowScale = b[at + 2]
        break
      case OPT_SACK_PERMITTED:
        if (len === 2) opts.sackPermitted = true
        break
      case OPT_SACK:
        if ((len - 2) % 8 === 0 && len > 2) {
          const blocks: Array<[number, number]> = []
          for (let p = at + 2; p < at + len; p += 8) {
            blocks.push([read32(b, p), read32(b, p + 4)])
          }
          opts.sack = blocks
        }
        break
      case OPT_TIMESTAMPS:
        if (len === 10) {
          opts.tsVal = read32(b, at + 2)
          opts.tsEcr = read32(b, at + 6)
        }
        break
      default:
        // Unknown options (MPTCP, TFO, MD5...) are skipped by their length.
        break
    }
    at += len
  }
  return opts
}

function read32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
}
