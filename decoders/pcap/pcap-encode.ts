import {DEFAULT_SNAPLEN, PCAP_HEADER, PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_RECORD_HEADER, PCAP_VERSION_MAJOR, PCAP_VERSION_MINOR} from './constants.js'

export interface PcapFileSpec {
  readonly linkType: number
  /** Default 262144, as tcpdump writes. */
  readonly snaplen?: number
  /** Nanosecond magic (0xa1b23c4d) instead of microseconds. */
  readonly nanoseconds?: boolean
  /** Write the file big-endian, as a SPARC or PowerPC host would. */
  readonly bigEndian?: boolean
}

/** A packet to write: capture time, bytes, and the wire length when more than the bytes. */
export interface PacketToWrite {
  readonly tsSec: number
  readonly tsNsec: number
  readonly data: Uint8Array
  readonly origLen?: number
}

/** The 24-byte classic pcap file header. */
export function encodePcapHeader(spec: PcapFileSpec): Buffer {
  const b = Buffer.alloc(PCAP_HEADER)
  const be = spec.bigEndian ?? false
  const w32 = (v: number, at: number) => (be ? b.writeUInt32BE(v >>> 0, at) : b.writeUInt32LE(v >>> 0, at))
  const w16 = (v: number, at: number) => (be ? b.writeUInt16BE(v, at) : b.writeUInt16LE(v, at))
  w32(spec.nanoseconds ? PCAP_MAGIC_NS : PCAP_MAGIC_US, 0)
  w16(PCAP_VERSION_MAJOR, 4)
  w16(PCAP_VERSION_MINOR, 6)
  // thiszone and sigfigs stay 0, as every modern writer leaves them.
  w32(spec.snaplen ?? DEFAULT_SNAPLEN, 16)
  w32(spec.linkType, 20)
  return b
}

/**
 * Write one record header into target at `at` (16 bytes). The data are
 * assumed already cut to capLen. Little-endian unless bigEndian.
 */
export function writePcapRecordHeader(
  target: Buffer,
  at: number,
  tsSec: number,
  tsNsec: number,
  capLen: number,
  origLen: number,
  opts: {nanoseconds?: boolean; bigEndian?: boolean} = {},
): void {
  const frac = opts.nanoseconds ? tsNsec : Math.floor(tsNsec / 1000)
  if (opts.bigEndian) {
    target.writeUInt32BE(tsSec >>> 0, at)
    target.writeUInt32BE(frac, at + 4)
    target.writeUInt32BE(capLen, at + 8)
    target.writeUInt32BE(origLen >>> 0, at + 12)
  } else {
    target.writeUInt32LE(tsSec >>> 0, at)
    target.writeUInt32LE(frac, at + 4)
    target.writeUInt32LE(capLen, at + 8)
    target.writeUInt32LE(origLen >>> 0, at + 12)
  }
}

/** One record: header and data, cut to the snaplen. */
export function encodePcapRecord(spec: PcapFileSpec, p: PacketToWrite): Buffer {
  const snaplen = spec.snaplen ?? DEFAULT_SNAPLEN
  const capLen = Math.min(p.data.length, snaplen)
  const b = Buffer.alloc(PCAP_RECORD_HEADER + capLen)
  writePcapRecordHeader(b, 0, p.tsSec, p.tsNsec, capLen, Math.max(p.origLen ?? p.data.length, capLen), spec)
  b.set(p.data.subarray(0, capLen), PCAP_RECORD_HEADER)
  return b
}

/** A whole classic pcap file. */
export function encodePcapFile(spec: PcapFileSpec, packets: Iterable<PacketToWrite>): Buffer {
  const parts = [encodePcapHeader(spec)]
  for (const p of packets) parts.push(encodePcapRecord(spec, p))
  return Buffer.concat(parts)
}
