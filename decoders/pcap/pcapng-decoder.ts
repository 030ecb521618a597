import type {CapturedPacket} from '../packet/captured-packet.js'
import {
  DEFAULT_TSRESOL,
  IF_DESCRIPTION,
  IF_NAME,
  IF_TSOFFSET,
  IF_TSRESOL,
  ISB_FILTERACCEPT,
  ISB_IFDROP,
  ISB_IFRECV,
  ISB_OSDROP,
  MAX_PCAPNG_BLOCK,
  OPT_ENDOFOPT,
  PCAPNG_BLOCK_OVERHEAD,
  PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_EPB,
  PCAPNG_EPB_FIXED,
  PCAPNG_IDB,
  PCAPNG_IDB_FIXED,
  PCAPNG_ISB,
  PCAPNG_ISB_FIXED,
  PCAPNG_OPB,
  PCAPNG_OPB_FIXED,
  PCAPNG_SHB,
  PCAPNG_SHB_FIXED,
  PCAPNG_SHB_MIN,
  PCAPNG_SPB,
  PCAPNG_SPB_FIXED,
  PCAPNG_VERSION_MAJOR,
} from './constants.js'
import {splitTimestamp, unitsPerSecond} from './timestamp.js'
import {type CaptureFileError, type CaptureInterface, fileError, type InterfaceStatistics, type PacketSink} from './types.js'

/** True when b[off..off+4) is the pcapng Section Header Block type. */
export function isPcapNgMagic(b: Uint8Array, off: number): boolean {
  return b.length >= off + 4 && b[off] === 0x0a && b[off + 1] === 0x0d && b[off + 2] === 0x0d && b[off + 3] === 0x0a
}

interface IfaceState {
  readonly info: CaptureInterface
  readonly units: number
  readonly tsOffset: number
}

/**
 * pcapng from a byte stream that arrives in pieces: sections in either byte
 * order, interfaces with their link types and if_tsresol / if_tsoffset,
 * Enhanced, Simple and obsolete Packet Blocks, Interface Statistics Blocks;
 * every other block type is skipped by its length. decode() pushes the packets
 * of every whole block and returns the offset it consumed up to. Packet data
 * are views into buf.
 *
 * A block length is checked (at least 12, a multiple of 4, at most 16 MiB, the
 * same at both ends) before the reader waits for the block's bytes; the first
 * error stops the decoder and is kept in `error`.
 */
export class PcapNgDecoder {
  error: CaptureFileError | undefined
  /** Stream position of the next byte not yet consumed. */
  position = 0
  packets = 0
  sections = 0
  /** Blocks of types rpcdiag does not read (name resolution, custom, journal...). */
  skippedBlocks = 0
  private readonly ifaces: IfaceState[] = []
  private readonly infos: CaptureInterface[] = []
  /** Section-local interface id -> index in ifaces. */
  private section: number[] = []
  private readonly stats = new Map<number, InterfaceStatistics>()
  private be = false
  private readonly maxBlock: number
  /** Views of the chunk being decoded (one per decode call, not per block). */
  private view: DataView = new DataView(new ArrayBuffer(0))
  private bytes: Uint8Array = new Uint8Array(0)

  constructor(opts: {maxBlock?: number} = {}) {
    this.maxBlock = opts.maxBlock ?? MAX_PCAPNG_BLOCK
  }

  /** Every interface described so far, across sections; CapturedPacket.interfaceId indexes this. */
  get interfaces(): readonly CaptureInterface[] {
    return this.infos
  }

  /** The latest statistics block of each interface. */
  get statistics(): readonly InterfaceStatistics[] {
    return [...this.stats.values()]
  }

  decode(buf: Buffer, off: number, end: number, out: PacketSink): number {
    if (this.error !== undefined) return off
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length)
    this.bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length)
    let at = off
    while (end - at >= 8) {
      let be = this.be
      const isShb = buf[at] === 0x0a && buf[at + 1] === 0x0d && buf[at + 2] === 0x0d && buf[at + 3] === 0x0a
      if (isShb) {
        if (end - at < 12) break
        if (buf.readUInt32BE(at + 8) === PCAPNG_BYTE_ORDER_MAGIC) be = true
        else if (buf.readUInt32LE(at + 8) === PCAPNG_BYTE_ORDER_MAGIC) be = false
        else return this.fail(at, fileError('BAD_MAGIC', this.position, `pcapng section header with a bad byte-order magic 0x${buf.readUInt32BE(at + 8).toString(16)}`))
      } else if (this.sections === 0) {
        return this.fail(at, fileError('BAD_MAGIC', this.position, 'not a pcapng file: it does not start with a section header block'))
      }
      const view = this.view
      const type = isShb ? PCAPNG_SHB : view.getUint32(at, !be)
      const len = view.getUint32(at + 4, !be)
      if (len < (isShb ? PCAPNG_SHB_MIN : PCAPNG_BLOCK_OVERHEAD) || len % 4 !== 0 || len > this.maxBlock) {
        return this.fail(at, fileError('BAD_BLOCK_LENGTH', this.position, `pcapng block of type 0x${type.toString(16)} has a bad length ${len}`))
      }
      if (end - at < len) break
      const trailer = view.getUint32(at + len - 4, !be)
      if (trailer !== len) {
        return this.fail(at, fileError('BLOCK_LENGTH_MISMATCH', this.position, `pcapng block of type 0x${type.toString(16)}: length ${len} at its start, ${trailer} at its end`))
      }
      const body = at + 8
      const bodyEnd = at + len - 4
      let problem: CaptureFileError | undefined
      switch (type) {
        case PCAPNG_SHB:
          problem = this.sectionHeader(buf, body, be)
          break
        case PCAPNG_IDB:
          problem = this.interfaceDescription(buf, body, bodyEnd)
          break
        case PCAPNG_EPB:
          problem = this.enhancedPacket(buf, body, bodyEnd, out)
          break
        case PCAPNG_SPB:
          problem = this.simplePacket(buf, body, bodyEnd, out)
          break
        case PCAPNG_OPB:
          problem = this.obsoletePacket(buf, body, bodyEnd, out)
          break
        case PCAPNG_ISB:
          problem = this.interfaceStatistics(buf, body, bodyEnd)
          break
        default:
          this.skippedBlocks++
      }
      if (problem !== undefined) return this.fail(at, problem)
      at += len
      this.position += len
    }
    return at
  }

  /** The stream ended with buf[off..end) unconsumed: what went wrong, if anything. */
  finish(off: number, end: number): CaptureFileError | undefined {
    if (this.error !== undefined) return this.error
    const left = end - off
    if (this.sections === 0 && this.position === 0) {
      this.error = left === 0 ? fileError('EMPTY', 0, 'the capture is empty (no pcapng section header)') : fileError('TRUNCATED', 0, `truncated pcapng section header: ${left} bytes`)
    } else if (left > 0) {
      this.error = fileError('TRUNCATED', this.position, `truncated pcapng file: the last block is cut short after ${left} bytes`)
    }
    return this.error
  }

  private fail(at: number, e: CaptureFileError): number {
    this.error = e
    return at
  }

  private u16(_buf: Buffer, at: number): number {
    return this.view.getUint16(at, !this.be)
  }

  private u32(_buf: Buffer, at: number): number {
    return this.view.getUint32(at, !this.be)
  }

  private u64(buf: Buffer, at: number): number {
    return this.be ? buf.readUInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4) : buf.readUInt32LE(at + 4) * 4294967296 + buf.readUInt32LE(at)
  }

  private sectionHeader(buf: Buffer, body: number, be: boolean): CaptureFileError | undefined {
    this.be = be
    const major = this.u16(buf, body + 4)
    if (major !== PCAPNG_VERSION_MAJOR) {
      return fileError('UNSUPPORTED_VERSION', this.position, `pcapng version ${major}.${this.u16(buf, body + 6)} is not supported (1.x is)`)
    }
    // A new section starts a new set of interfaces; ids restart at 0.
    this.section = []
    this.sections++
    return undefined
  }

  private interfaceDescription(buf: Buffer, body: number, bodyEnd: number): CaptureFileError | undefined {
    if (bodyEnd - body < PCAPNG_IDB_FIXED) return fileError('BAD_BLOCK', this.position, 'pcapng interface block too short')
    const linkType = this.u16(buf, body)
    const snaplen = this.u32(buf, body + 4)
    let tsresol = DEFAULT_TSRESOL
    let tsOffset = 0
    let name: string | undefined
    let description: string | undefined
    this.options(buf, body + PCAPNG_IDB_FIXED, bodyEnd, (code, at, len) => {
      if (code === IF_TSRESOL && len >= 1) tsresol = buf[at]
      else if (code === IF_TSOFFSET && len === 8) tsOffset = (this.be ? buf.readInt32BE(at) : buf.readInt32LE(at + 4)) * 4294967296 + (this.be ? buf.readUInt32BE(at + 4) : buf.readUInt32LE(at))
      else if (code === IF_NAME) name = buf.toString('utf8', at, at + len).replace(/\0+$/, '')
      else if (code === IF_DESCRIPTION) description = buf.toString('utf8', at, at + len).replace(/\0+$/, '')
    })
    const units = unitsPerSecond(tsresol)
    const info: CaptureInterface = {linkType, snaplen, name, description, unitsPerSecond: units, bigEndian: this.be}
    this.section.push(this.ifaces.length)
    this.ifaces.push({info, units, tsOffset})
    this.infos.push(info)
    return undefined
  }

  private packet(_buf: Buffer, global: number, high: number, low: number, dataAt: number, capLen: number, origLen: number, out: PacketSink): void {
    const iface = this.ifaces[global]
    let sec: number
    let nsec: number
    if (iface.units === 1e6 && high < 0x200000) {
      // Microseconds (the default resolution) below 2^53: exact in a double, no array.
      const total = high * 4294967296 + low
      sec = Math.floor(total / 1e6)
      nsec = (total - sec * 1e6) * 1000
    } else {
      ;[sec, nsec] = splitTimestamp(high, low, iface.units)
    }
    const p: CapturedPacket = {
      linkType: iface.info.linkType,
      tsSec: sec + iface.tsOffset,
      tsNsec: nsec,
      origLen,
      data: this.bytes.subarray(dataAt, dataAt + capLen),
      interfaceId: global,
    }
    out.push(p)
    this.packets++
  }

  private ifaceIndex(id: number): number | CaptureFileError {
    const global = this.section[id]
    return global === undefined ? fileError('UNKNOWN_INTERFACE', this.position, `pcapng packet for interface ${id}, but the section describes ${this.section.length}`) : global
  }

  private enhancedPacket(buf: Buffer, body: number, bodyEnd: number, out: PacketSink): CaptureFileError | undefined {
    if (bodyEnd - body < PCAPNG_EPB_FIXED) return fileError('BAD_BLOCK', this.position, 'pcapng enhanced packet block too short')
    const global = this.ifaceIndex(this.u32(buf, body))
    if (typeof global !== 'number') return global
    const capLen = this.u32(buf, body + 12)
    if (capLen > bodyEnd - body - PCAPNG_EPB_FIXED) {
      return fileError('BAD_BLOCK', this.position, `pcapng enhanced packet block: captured length ${capLen} runs past the block`)
    }
    this.packet(buf, global, this.u32(buf, body + 4), this.u32(buf, body + 8), body + PCAPNG_EPB_FIXED, capLen, this.u32(buf, body + 16), out)
    return undefined
  }

  private obsoletePacket(buf: Buffer, body: number, bodyEnd: number, out: PacketSink): CaptureFileError | undefined {
    if (bodyEnd - body < PCAPNG_OPB_FIXED) return fileError('BAD_BLOCK', this.position, 'pcapng packet block too short')
    const global = this.ifaceIndex(this.u16(buf, body))
    if (typeof global !== 'number') return global
    const capLen = this.u32(buf, body + 12)
    if (capLen > bodyEnd - body - PCAPNG_OPB_FIXED) {
      return fileError('BAD_BLOCK', this.position, `pcapng packet block: captured length ${capLen} runs past the block`)
    }
    this.packet(buf, global, this.u32(buf, body + 4), this.u32(buf, body + 8), body + PCAPNG_OPB_FIXED, capLen, this.u32(buf, body + 16), out)
    return undefined
  }

  private simplePacket(buf: Buffer, body: number, bodyEnd: number, out: PacketSink): CaptureFileError | undefined {
    if (bodyEnd - body < PCAPNG_SPB_FIXED) return fileError('BAD_BLOCK', this.position, 'pcapng simple packet block too short')
    // A simple packet belongs to the section's first interface and has no timestamp.
    const global = this.section[0]
    if (global === undefined) return fileError('BAD_BLOCK', this.position, 'pcapng simple packet block before any interface block')
    const origLen = this.u32(buf, body)
    const snaplen = this.ifaces[global].info.snaplen
    let capLen = Math.min(origLen, bodyEnd - body - PCAPNG_SPB_FIXED)
    if (snaplen > 0 && snaplen < capLen) capLen = snaplen
    this.packet(buf, global, 0, 0, body + PCAPNG_SPB_FIXED, capLen, origLen, out)
    return undefined
  }

  private interfaceStatistics(buf: Buffer, body: number, bodyEnd: number): CaptureFileError | undefined {
    if (bodyEnd - body < PCAPNG_ISB_FIXED) return fileError('BAD_BLOCK', this.position, 'pcapng interface statistics block too short')
    const global = this.ifaceIndex(this.u32(buf, body))
    if (typeof global !== 'number') return global
    const s: {-readonly [K in keyof InterfaceStatistics]: InterfaceStatistics[K]} = {interfaceId: global}
    this.options(buf, body + PCAPNG_ISB_FIXED, bodyEnd, (code, at, len) => {
      if (len !== 8) return
      if (code === ISB_IFRECV) s.received = this.u64(buf, at)
      else if (code === ISB_IFDROP) s.dropped = this.u64(buf, at)
      else if (code === ISB_OSDROP) s.osDropped = this.u64(buf, at)
      else if (code === ISB_FILTERACCEPT) s.filterAccepted = this.u64(buf, at)
    })
    this.stats.set(global, s)
    return undefined
  }

  /** Walk the options in buf[at..end); a malformed option ends the walk (options are advisory). */
  private options(buf: Buffer, at: number, end: number, fn: (code: number, valueAt: number, len: number) => void): void {
    while (end - at >= 4) {
      const code = this.u16(buf, at)
      const len = this.u16(buf, at + 2)
      if (code === OPT_ENDOFOPT) return
      if (at + 4 + len > end) return
      fn(code, at + 4, len)
      at += 4 + ((len + 3) & ~3)
    }
  }
}
