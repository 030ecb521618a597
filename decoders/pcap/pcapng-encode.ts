import {
  DEFAULT_SNAPLEN,
  IF_NAME,
  IF_TSOFFSET,
  IF_TSRESOL,
  ISB_IFDROP,
  ISB_IFRECV,
  PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_EPB,
  PCAPNG_IDB,
  PCAPNG_ISB,
  PCAPNG_SHB,
  PCAPNG_SPB,
} from './constants.js'
import type {PacketToWrite} from './pcap-encode.js'
import {unitsPerSecond} from './timestamp.js'

// pcapng writing, for fixtures and tests: every block type the reader handles,
// in either byte order.

export interface PcapNgInterfaceSpec {
  readonly linkType: number
  readonly snaplen?: number
  /** if_tsresol byte: 6 = microseconds (default, and then the option is omitted), 9 = nanoseconds, 0x80|n = 2^-n. */
  readonly tsresol?: number
  /** if_tsoffset in seconds. */
  readonly tsOffset?: number
  readonly name?: string
}

export interface PcapNgPacketSpec extends PacketToWrite {
  readonly interfaceId?: number
  /** Write a Simple Packet Block (no timestamp, interface 0). */
  readonly simple?: boolean
}

function pad4(n: number): number {
  return (n + 3) & ~3
}

class Out {
  constructor(readonly be: boolean) {}
  u16(v: number): Buffer {
    const b = Buffer.alloc(2)
    if (this.be) b.writeUInt16BE(v)
    else b.writeUInt16LE(v)
    return b
  }

  u32(v: number): Buffer {
    const b = Buffer.alloc(4)
    if (this.be) b.writeUInt32BE(v >>> 0)
    else b.writeUInt32LE(v >>> 0)
    return b
  }

  u64(v: bigint): Buffer {
    const b = Buffer.alloc(8)
    if (this.be) b.writeBigUInt64BE(BigInt.asUintN(64, v))
    else b.writeBigUInt64LE(BigInt.asUintN(64, v))
    return b
  }

  option(code: number, value: Uint8Array): Buffer {
    const b = Buffer.alloc(4 + pad4(value.length))
    b.set(this.u16(code), 0)
    b.set(this.u16(value.length), 2)
    b.set(value, 4)
    return b
  }

  options(opts: Buffer[]): Buffer {
    return opts.length === 0 ? Buffer.alloc(0) : Buffer.concat([...opts, Buffer.alloc(4)]) // opt_endofopt
  }
}

/** Any block: type, length, body (padded to 4), length. */
export function encodePcapNgBlock(type: number, body: Uint8Array, bigEndian = false): Buffer {
  const o = new Out(bigEndian)
  const len = 12 + pad4(body.length)
  const b = Buffer.alloc(len)
  b.set(o.u32(type), 0)
  b.set(o.u32(len), 4)
  b.set(body, 8)
  b.set(o.u32(len), len - 4)
  return b
}

export function encodeSectionHeader(bigEndian = false): Buffer {
  const o = new Out(bigEndian)
  const body = Buffer.concat([o.u32(PCAPNG_BYTE_ORDER_MAGIC), o.u16(1), o.u16(0), o.u64(-1n)]) // section length unknown
  return encodePcapNgBlock(PCAPNG_SHB, body, bigEndian)
}

export function encodeInterfaceDescription(spec: PcapNgInterfaceSpec, bigEndian = false): Buffer {
  const o = new Out(bigEndian)
  const opts: Buffer[] = []
  if (spec.name !== undefined) opts.push(o.option(IF_NAME, Buffer.from(spec.name)))
  if (spec.tsresol !== undefined && spec.tsresol !== 6) opts.push(o.option(IF_TSRESOL, Uint8Array.of(spec.tsresol)))
  if (spec.tsOffset !== undefined) opts.push(o.option(IF_TSOFFSET, o.u64(BigInt(spec.tsOffset))))
  const body = Buffer.concat([o.u16(spec.linkType), o.u16(0), o.u32(spec.snaplen ?? DEFAULT_SNAPLEN), o.options(opts)])
  return encodePcapNgBlock(PCAPNG_IDB, body, bigEndian)
}

/** An Enhanced Packet Block; tsresol is the interface's (default 6). */
export function encodeEnhancedPacket(p: PcapNgPacketSpec, tsresol = 6, bigEndian = false, tsOffset = 0): Buffer {
  const o = new Out(bigEndian)
  const units = BigInt(unitsPerSecond(tsresol))
  const count = BigInt(p.tsSec - tsOffset) * units + (BigInt(p.tsNsec) * units) / 1_000_000_000n
  const high = Number(count >> 32n)
  const low = Number(count & 0xffffffffn)
  const data = Buffer.alloc(pad4(p.data.length))
  data.set(p.data)
  const body = Buffer.concat([o.u32(p.interfaceId ?? 0), o.u32(high), o.u32(low), o.u32(p.data.length), o.u32(p.origLen ?? p.data.length), data])
  return encodePcapNgBlock(PCAPNG_EPB, body, bigEndian)
}

export function encodeSimplePacket(p: PacketToWrite, bigEndian = false): Buffer {
  const o = new Out(bigEndian)
  const data = Buffer.alloc(pad4(p.data.length))
  data.set(p.data)
  return encodePcapNgBlock(PCAPNG_SPB, Buffer.concat([o.u32(p.origLen ?? p.data.length), data]), bigEndian)
}

export function encodeInterfaceStatistics(s: {interfaceId: number; received?: number; dropped?: number}, bigEndian = false): Buffer {
  const o = new Out(bigEndian)
  const opts: Buffer[] = []
  if (s.received !== undefined) opts.push(o.option(ISB_IFRECV, o.u64(BigInt(s.received))))
  if (s.dropped !== undefined) opts.push(o.option(ISB_IFDROP, o.u64(BigInt(s.dropped))))
  return encodePcapNgBlock(PCAPNG_ISB, Buffer.concat([o.u32(s.interfaceId), o.u32(0), o.u32(0), o.options(opts)]), bigEndian)
}

/** A whole one-section pcapng file: SHB, one IDB per interface, then the packets. */
export function encodePcapNgFile(spec: {bigEndian?: boolean; interfaces: readonly PcapNgInterfaceSpec[]; packets: Iterable<PcapNgPacketSpec>}): Buffer {
  const be = spec.bigEndian ?? false
  const parts = [encodeSectionHeader(be), ...spec.interfaces.map((i) => encodeInterfaceDescription(i, be))]
  for (const p of spec.packets) {
    const iface = spec.interfaces[p.interfaceId ?? 0]
    parts.push(p.simple ? encodeSimplePacket(p, be) : encodeEnhancedPacket(p, iface?.tsresol ?? 6, be, iface?.tsOffset ?? 0))
  }
  return Buffer.concat(parts)
}
