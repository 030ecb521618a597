import type {CapturedPacket} from '../packet/captured-packet.js'
import {
  MAX_PCAP_RECORD,
  PCAP_HEADER,
  PCAP_LINKTYPE_MASK,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAP_RECORD_HEADER,
  PCAP_VERSION_MAJOR,
} from './constants.js'
import {type CaptureFileError, type CaptureInterface, fileError, type PacketSink} from './types.js'

/** The classic pcap file header. */
export interface PcapHeader {
  readonly bigEndian: boolean
  readonly nanoseconds: boolean
  readonly versionMajor: number
  readonly versionMinor: number
  readonly snaplen: number
  readonly linkType: number
  /** FCS length in bytes when the header's F bit says frames carry one. */
  readonly fcsLength: number
}

export type PcapHeaderResult =
  | {readonly kind: 'header'; readonly header: PcapHeader}
  | {readonly kind: 'incomplete'; readonly need: number}
  | CaptureFileError

/** True when the four bytes at b[off] are a classic pcap magic in either byte order and either resolution. */
export function isPcapMagic(b: Uint8Array, off: number): boolean {
  if (b.length < off + 4) return false
  const be = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0
  const le = ((b[off + 3] << 24) | (b[off + 2] << 16) | (b[off + 1] << 8) | b[off]) >>> 0
  return be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS
}

/** Parse the 24-byte pcap file header at buf[off..end). Pure. */
export function decodePcapHeader(buf: Buffer, off: number, end: number): PcapHeaderResult {
  if (end - off < 4) return {kind: 'incomplete', need: PCAP_HEADER - (end - off)}
  const be = buf.readUInt32BE(off)
  const le = buf.readUInt32LE(off)
  let bigEndian: boolean
  let nanoseconds: boolean
  if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) {
    bigEndian = true
    nanoseconds = be === PCAP_MAGIC_NS
  } else if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) {
    bigEndian = false
    nanoseconds = le === PCAP_MAGIC_NS
  } else {
    return fileError('BAD_MAGIC', 0, `not a pcap file: magic 0x${be.toString(16).padStart(8, '0')}`)
  }
  if (end - off < PCAP_HEADER) return {kind: 'incomplete', need: PCAP_HEADER - (end - off)}
  const u16 = (at: number) => (bigEndian ? buf.readUInt16BE(off + at) : buf.readUInt16LE(off + at))
  const u32 = (at: number) => (bigEndian ? buf.readUInt32BE(off + at) : buf.readUInt32LE(off + at))
  const versionMajor = u16(4)
  const versionMinor = u16(6)
  if (versionMajor !== PCAP_VERSION_MAJOR) {
    return fileError('UNSUPPORTED_VERSION', 0, `pcap version ${versionMajor}.${versionMinor} is not supported (2.x is)`)
  }
  const network = u32(20)
  // Bits 28-31: FCS length in 16-bit words, valid when bit 26 (F) is set.
  const fcsLength = network & 0x04000000 ? ((network >>> 28) & 0x0f) * 2 : 0
  return {
    kind: 'header',
    header: {bigEndian, nanoseconds, versionMajor, versionMinor, snaplen: u32(16), linkType: network & PCAP_LINKTYPE_MASK, fcsLength},
  }
}

/**
 * Classic pcap from a byte stream that arrives in pieces. decode() pushes every
 * whole record and returns the offset it consumed up to; the caller presents
 * the rest again with more bytes after it. Packet data are views into buf.
 *
 * A corrupt record length cannot be resynced in classic pcap (records have no
 * marker), so the first error stops the decoder: it is kept in `error`.
 */
export class PcapDecoder {
  header: PcapHeader | undefined
  error: CaptureFileError | undefined
  /** Stream position of the next byte not yet consumed. */
  position = 0
  packets = 0
  private iface: CaptureInterface[] = []
  private readonly maxRecord: number

  constructor(opts: {maxRecord?: number} = {}) {
    this.maxRecord = opts.maxRecord ?? MAX_PCAP_RECORD
  }

  get interfaces(): readonly CaptureInterface[] {
    return this.iface
  }

  decode(buf: Buffer, off: number, end: number, out: PacketSink): number {
    if (this.error !== undefined) return off
    let at = off
    let h = this.header
    if (h === undefined) {
      const r = decodePcapHeader(buf, at, end)
      if (r.kind === 'incomplete') return at
      if (r.kind === 'error') {
        this.error = r
        return at
      }
      h = this.header = r.header
      this.iface = [{linkType: h.linkType, snaplen: h.snaplen, unitsPerSecond: h.nanoseconds ? 1e9 : 1e6, bigEndian: h.bigEndian}]
      at += PCAP_HEADER
      this.position += PCAP_HEADER
    }
    const le = !h.bigEndian
    const unit = h.nanoseconds ? 1e9 : 1e6
    const toNs = h.nanoseconds ? 1 : 1000
    const linkType = h.linkType
    const max = this.maxRecord
    // One DataView per chunk, and each packet's bytes a plain view made by
    // the constructor: Buffer.subarray and Buffer.readUInt32 cost several
    // times more per packet, and even Uint8Array's subarray twice as much.
    const memory = buf.buffer
    const base = buf.byteOffset
    const view = new DataView(memory, base, buf.length)
    while (end - at >= PCAP_RECORD_HEADER) {
      const capLen = view.getUint32(at + 8, le)
      if (capLen > max) {
        this.error = fileError('RECORD_TOO_LARGE', this.position, `pcap record ${this.packets + 1} claims ${capLen} captured bytes, above the ${max}-byte maximum: the file is corrupt`)
        return at
      }
      if (end - at < PCAP_RECORD_HEADER + capLen) break
      let tsSec = view.getUint32(at, le)
      let frac = view.getUint32(at + 4, le)
      if (frac >= unit) {
        // Some writers overflow the fraction; carry it rather than reject the file.
        tsSec += Math.floor(frac / unit)
        frac %= unit
      }
      const packet: CapturedPacket = {
        linkType,
        tsSec,
        tsNsec: frac * toNs,
        origLen: view.getUint32(at + 12, le),
        data: new Uint8Array(memory, base + at + PCAP_RECORD_HEADER, capLen),
        interfaceId: 0,
      }
      out.push(packet)
      this.packets++
      at += PCAP_RECORD_HEADER + capLen
      this.position += PCAP_RECORD_HEADER + capLen
    }
    return at
  }

  /** The stream ended with buf[off..end) unconsumed: what went wrong, if anything. */
  finish(off: number, end: number): CaptureFileError | undefined {
    if (this.error !== undefined) return this.error
    const left = end - off
    if (this.header === undefined) {
      this.error =
        this.position === 0 && left === 0
          ? fileError('EMPTY', 0, 'the capture is empty (no pcap header)')
          : fileError('TRUNCATED', 0, `truncated pcap header: ${left} of ${PCAP_HEADER} bytes`)
    } else if (left > 0) {
      this.error = fileError('TRUNCATED', this.position, `truncated pcap file: record ${this.packets + 1} cut short after ${left} bytes`)
    }
    return this.error
  }
}
