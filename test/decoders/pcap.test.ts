import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {encodePacket, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW} from '../../decoders/packet/index.js'
import {
  CaptureFileDecoder,
  encodeEnhancedPacket,
  encodeInterfaceDescription,
  encodeInterfaceStatistics,
  encodePcapFile,
  encodePcapHeader,
  encodePcapNgBlock,
  encodePcapNgFile,
  encodeSectionHeader,
  encodeSimplePacket,
  PCAP_RECORD_HEADER,
  PCAPNG_EPB,
  splitTimestamp,
  unitsPerSecond,
} from '../../decoders/pcap/index.js'
import {describe as summary, fixture, readChunks} from '../fixtures/pcap/read-capture.js'

const rocket = readChunks([fixture('rocket_fast_25calls_12346.pcap')])
const rocketPackets = rocket.packets.map(summary)

function packet(i: number, size = 40): Buffer {
  return encodePacket({src: '10.1.1.1', dst: '10.1.1.2', srcPort: 1000 + i, dstPort: 12345, seq: i, payload: Buffer.alloc(size, i)})
}

describe('classic pcap', () => {
  it('reads the real rocket capture', () => {
    expect(rocket.error).toBeUndefined()
    expect(rocket.decoder.format).toBe('pcap')
    expect(rocket.packets.length).toBe(225) // capinfos: Number of packets = 225
    expect(rocket.decoder.interfaces).toEqual([{linkType: LINKTYPE_ETHERNET, snaplen: 262144, unitsPerSecond: 1e6, bigEndian: false}])
    // 02:48:22.959472 (UTC) first packet
    expect(rocketPackets[0]).toMatchObject({tsSec: 1795488502, tsNsec: 959472000, origLen: 74, interfaceId: 0})
  })

  it('reads the nanosecond variant to the same packets', () => {
    const ns = readChunks([fixture('rocket_25calls_ns.pcap')])
    expect(ns.error).toBeUndefined()
    expect(ns.decoder.interfaces[0].unitsPerSecond).toBe(1e9)
    expect(ns.packets.map(summary)).toEqual(rocketPackets)
  })

  it('reads a big-endian file to the same packets as little-endian', () => {
    const packets = [0, 1, 2].map((i) => ({tsSec: 1_700_000_000 + i, tsNsec: i * 1000, data: packet(i)}))
    for (const nanoseconds of [false, true]) {
      const le = readChunks([encodePcapFile({linkType: LINKTYPE_ETHERNET, nanoseconds}, packets)])
      const be = readChunks([encodePcapFile({linkType: LINKTYPE_ETHERNET, nanoseconds, bigEndian: true}, packets)])
      expect(be.error).toBeUndefined()
      expect(be.decoder.interfaces[0].bigEndian).toBe(true)
      expect(be.packets.map(summary)).toEqual(le.packets.map(summary))
      expect(be.packets.map((p) => p.tsNsec)).toEqual([0, 1000, 2000])
    }
  })

  it('keeps the wire length of records cut by the snaplen', () => {
    const big = packet(1, 500)
    const r = readChunks([encodePcapFile({linkType: LINKTYPE_ETHERNET, snaplen: 96}, [{tsSec: 1, tsNsec: 0, data: big}])])
    expect(r.packets[0].data.length).toBe(96)
    expect(r.packets[0].origLen).toBe(big.length)
  })

  it('reports a truncated last record after the whole ones', () => {
    const file = fixture('rocket_fast_25calls_12346.pcap')
    const r = readChunks([file.subarray(0, file.length - 10)])
    expect(r.packets.length).toBe(224)
    expect(r.error).toMatchObject({code: 'TRUNCATED'})
    expect(r.error!.offset).toBe(file.length - (16 + 66)) // the last record: a 66-byte FIN
  })

  it('refuses a record length above 256 KiB before its bytes arrive', () => {
    const header = encodePcapHeader({linkType: LINKTYPE_ETHERNET})
    const rec = Buffer.alloc(PCAP_RECORD_HEADER)
    rec.writeUInt32LE(0x7fffffff, 8)
    const r = readChunks([header, rec]) // no data follows: the length alone is enough
    expect(r.error).toMatchObject({code: 'RECORD_TOO_LARGE', offset: 24})
  })

  it('reports empty input, bad magic and an unsupported version', () => {
    expect(readChunks([]).error).toMatchObject({code: 'EMPTY'})
    expect(readChunks([Buffer.from('GET / HTTP/1.1\r\n')]).error).toMatchObject({code: 'BAD_MAGIC'})
    const v1 = encodePcapHeader({linkType: 1})
    v1.writeUInt16LE(1, 4)
    expect(readChunks([v1]).error).toMatchObject({code: 'UNSUPPORTED_VERSION'})
    expect(readChunks([encodePcapHeader({linkType: 1}).subarray(0, 10)]).error).toMatchObject({code: 'TRUNCATED', offset: 0})
  })
})

describe('pcapng', () => {
  it('reads the editcap conversion to the same packets as the pcap', () => {
    const ng = readChunks([fixture('rocket_25calls.pcapng')])
    expect(ng.error).toBeUndefined()
    expect(ng.decoder.format).toBe('pcapng')
    expect(ng.packets.map(summary)).toEqual(rocketPackets)
  })

  it('reads dumpcap: interface name, nanosecond if_tsresol, statistics', () => {
    const d = readChunks([fixture('dumpcap_lo.pcapng')])
    expect(d.error).toBeUndefined()
    expect(d.packets.length).toBe(30)
    expect(d.decoder.interfaces[0]).toMatchObject({linkType: LINKTYPE_ETHERNET, name: 'lo', unitsPerSecond: 1e9})
    expect(d.decoder.statistics).toEqual([{interfaceId: 0, received: 30, dropped: 0}])
    expect(d.packets.some((p) => p.tsNsec % 1000 !== 0)).toBe(true)
  })

  it('reads interfaces of different link types (mergecap)', () => {
    const m = readChunks([fixture('mixed_links.pcapng')])
    expect(m.error).toBeUndefined()
    expect(m.decoder.interfaces.map((i) => i.linkType)).toEqual([LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2])
    expect(m.packets.filter((p) => p.interfaceId === 0 && p.linkType === LINKTYPE_ETHERNET).length).toBe(8)
    expect(m.packets.filter((p) => p.interfaceId === 1 && p.linkType === LINKTYPE_LINUX_SLL2).length).toBe(30)
  })

  it('reads big-endian sections, timestamp resolutions, offsets, simple packets, statistics and unknown blocks', () => {
    const t = {tsSec: 1_700_000_123, tsNsec: 987_654_321}
    const parts: Buffer[] = []
    for (const be of [true, false]) {
      // Two sections, one per byte order; interface ids restart in each.
      parts.push(
        encodeSectionHeader(be),
        encodePcapNgBlock(0x00000bad, Buffer.from('custom'), be), // unknown: skipped by length
        encodeInterfaceDescription({linkType: LINKTYPE_ETHERNET, tsresol: 9, name: 'eth0'}, be),
        encodeInterfaceDescription({linkType: LINKTYPE_RAW, tsresol: 0x80 | 20, snaplen: 64}, be),
        encodeInterfaceDescription({linkType: LINKTYPE_LINUX_SLL2, tsresol: 3, tsOffset: 1_000_000}, be),
        encodeEnhancedPacket({...t, data: packet(1), interfaceId: 0}, 9, be),
        encodeEnhancedPacket({...t, data: packet(2).subarray(14), interfaceId: 1}, 0x80 | 20, be),
        encodeEnhancedPacket({...t, data: packet(3), interfaceId: 2}, 3, be, 1_000_000),
        encodeSimplePacket({tsSec: 0, tsNsec: 0, data: packet(4)}, be),
        encodeInterfaceStatistics({interfaceId: 1, received: 5, dropped: 2}, be),
      )
    }
    const r = readChunks([Buffer.concat(parts)])
    expect(r.error).toBeUndefined()
    expect(r.decoder.interfaces.map((i) => [i.linkType, i.bigEndian])).toEqual([
      [1, true],
      [101, true],
      [276, true],
      [1, false],
      [101, false],
      [276, false],
    ])
    expect(r.packets.map((p) => [p.interfaceId, p.tsSec, p.tsNsec])).toEqual([
      [0, t.tsSec, 987_654_321],
      [1, t.tsSec, Math.floor((Math.floor((987_654_321 * 2 ** 20) / 1e9) / 2 ** 20) * 1e9)],
      [2, t.tsSec, 987_000_000],
      [0, 0, 0],
      [3, t.tsSec, 987_654_321],
      [4, t.tsSec, Math.floor((Math.floor((987_654_321 * 2 ** 20) / 1e9) / 2 ** 20) * 1e9)],
      [5, t.tsSec, 987_000_000],
      [3, 0, 0],
    ])
    expect(Buffer.from(r.packets[2].data).equals(packet(3))).toBe(true)
    expect(Buffer.from(r.packets[3].data).equals(packet(4))).toBe(true)
    expect(r.decoder.statistics).toEqual([
      {interfaceId: 1, received: 5, dropped: 2},
      {interfaceId: 4, received: 5, dropped: 2},
    ])
  })

  it('rejects bad block lengths before buffering them', () => {
    const shb = encodeSectionHeader()
    const huge = Buffer.alloc(8)
    huge.writeUInt32LE(PCAPNG_EPB, 0)
    huge.writeUInt32LE(0xfffffff0, 4)
    expect(readChunks([shb, huge]).error).toMatchObject({code: 'BAD_BLOCK_LENGTH', offset: shb.length})
    const odd = Buffer.from(huge)
    odd.writeUInt32LE(30, 4)
    expect(readChunks([shb, odd]).error).toMatchObject({code: 'BAD_BLOCK_LENGTH'})
    const tiny = Buffer.from(huge)
    tiny.writeUInt32LE(8, 4)
    expect(readChunks([shb, tiny]).error).toMatchObject({code: 'BAD_BLOCK_LENGTH'})
  })

  it('reports a trailer length mismatch, a packet for an unknown interface, fields past the block', () => {
    const shb = encodeSectionHeader()
    const idb = encodeInterfaceDescription({linkType: 1})
    const epb = encodeEnhancedPacket({tsSec: 1, tsNsec: 0, data: packet(1)})
    const bad = Buffer.from(epb)
    bad.writeUInt32LE(epb.length + 4, epb.length - 4)
    expect(readChunks([shb, idb, bad]).error).toMatchObject({code: 'BLOCK_LENGTH_MISMATCH', offset: shb.length + idb.length})
    expect(readChunks([shb, epb]).error).toMatchObject({code: 'UNKNOWN_INTERFACE'})
    const over = Buffer.from(epb)
    over.writeUInt32LE(10_000, 8 + 12) // caplen
    expect(readChunks([shb, idb, over]).error).toMatchObject({code: 'BAD_BLOCK'})
    expect(readChunks([shb, encodeSimplePacket({tsSec: 0, tsNsec: 0, data: packet(1)})]).error).toMatchObject({code: 'BAD_BLOCK'})
    const v2 = Buffer.from(shb)
    v2.writeUInt16LE(2, 12)
    expect(readChunks([v2]).error).toMatchObject({code: 'UNSUPPORTED_VERSION'})
    const bom = Buffer.from(shb)
    bom.writeUInt32LE(0x12345678, 8)
    expect(readChunks([bom]).error).toMatchObject({code: 'BAD_MAGIC'})
  })

  it('reports a block cut short at the end of the stream', () => {
    const file = encodePcapNgFile({interfaces: [{linkType: 1}], packets: [0, 1, 2].map((i) => ({tsSec: i, tsNsec: 0, data: packet(i)}))})
    const r = readChunks([file.subarray(0, file.length - 3)])
    expect(r.packets.length).toBe(2)
    expect(r.error).toMatchObject({code: 'TRUNCATED'})
  })
})

describe('splitTimestamp', () => {
  it('matches BigInt arithmetic for every resolution', () => {
    fc.assert(
      fc.property(
        fc.bigInt({min: 0n, max: 2n ** 64n - 1n}),
        fc.oneof(fc.integer({min: 0, max: 11}), fc.integer({min: 0x80, max: 0x80 + 32})),
        (count, tsresol) => {
          const units = BigInt(unitsPerSecond(tsresol))
          const [sec, nsec] = splitTimestamp(Number(count >> 32n), Number(count & 0xffffffffn), Number(units))
          expect(sec).toBe(Number(count / units))
          const wantNs = Number(((count % units) * 1_000_000_000n) / units)
          expect(Math.abs(nsec - wantNs)).toBeLessThanOrEqual(1)
        },
      ),
      {numRuns: 2000},
    )
  })

  it('is exact for microseconds and nanoseconds of today', () => {
    const ns = 1_795_488_502_959_472_123n
    expect(splitTimestamp(Number(ns >> 32n), Number(ns & 0xffffffffn), 1e9)).toEqual([1_795_488_502, 959_472_123])
    const us = 1_795_488_502_959_472n
    expect(splitTimestamp(Number(us >> 32n), Number(us & 0xffffffffn), 1e6)).toEqual([1_795_488_502, 959_472_000])
  })
})

describe('CaptureFileDecoder on random bytes', () => {
  it('never throws; it reports an error value or packets that lie inside the input', () => {
    const ng = fixture('rocket_25calls.pcapng').subarray(0, 600)
    const pc = fixture('rocket_fast_25calls_12346.pcap').subarray(0, 600)
    const mutated = fc
      .tuple(fc.constantFrom(ng, pc), fc.array(fc.tuple(fc.nat(599), fc.nat(255)), {maxLength: 8}))
      .map(([b, edits]) => {
        const c = Buffer.from(b)
        for (const [at, v] of edits) c[at] = v
        return c
      })
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({maxLength: 200}).map((u) => Buffer.from(u)), mutated), (bytes) => {
        const d = new CaptureFileDecoder()
        const out: {data: Uint8Array}[] = []
        const at = d.decode(bytes, 0, bytes.length, out)
        d.finish(at, bytes.length)
        for (const p of out) expect(p.data.length).toBeLessThanOrEqual(bytes.length)
        expect(at).toBeLessThanOrEqual(bytes.length)
      }),
      {numRuns: 3000},
    )
  })
})
