// Capture files arrive from a pipe or a file in chunks of any size: every
// fixture is split at every byte offset (and in 1-byte chunks, and at random
// pairs of offsets) and must decode to exactly the same packets and error.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {encodePacket, LINKTYPE_ETHERNET, LINKTYPE_RAW} from '../../decoders/packet/index.js'
import {encodeInterfaceStatistics, encodePcapFile, encodePcapNgFile, encodeSectionHeader} from '../../decoders/pcap/index.js'
import {describe as summary, fixture, readChunks, splitAt} from '../fixtures/pcap/read-capture.js'

function packet(i: number): Buffer {
  return encodePacket({src: 'fd00::1', dst: 'fd00::2', srcPort: 40000 + i, dstPort: 12345, seq: i * 1000, payload: Buffer.alloc(i * 7, i)})
}

const built = {
  'big-endian pcap (ns)': encodePcapFile({linkType: LINKTYPE_ETHERNET, nanoseconds: true, bigEndian: true}, [1, 2, 3].map((i) => ({tsSec: i, tsNsec: i, data: packet(i)}))),
  'big-endian pcapng, two interfaces, statistics': Buffer.concat([
    encodePcapNgFile({
      bigEndian: true,
      interfaces: [{linkType: LINKTYPE_ETHERNET, tsresol: 9}, {linkType: LINKTYPE_RAW}],
      packets: [1, 2, 3, 4].map((i) => ({tsSec: i, tsNsec: i * 1000, data: i % 2 ? packet(i) : packet(i).subarray(14), interfaceId: (i + 1) % 2, simple: i === 4 && false})),
    }),
    encodeInterfaceStatistics({interfaceId: 1, received: 9, dropped: 1}, true),
    encodeSectionHeader(false),
  ]),
}

const files: Array<[string, Buffer]> = [
  ...['rocket_fast_25calls_12346.pcap', 'rocket_25calls_ns.pcap', 'rocket_25calls.pcapng', 'dumpcap_lo.pcapng', 'mixed_links.pcapng', 'any_sll2.pcap', 'lo_ipv6.pcap'].map(
    (n) => [n, fixture(n)] as [string, Buffer],
  ),
  ...Object.entries(built),
]

function errorOf(r: ReturnType<typeof readChunks>) {
  return r.error === undefined ? undefined : {code: r.error.code, offset: r.error.offset}
}

describe.each(files)('%s split anywhere', (_name, file) => {
  const whole = readChunks([file])
  const want = whole.packets.map(summary)

  it('decodes whole', () => {
    expect(whole.error).toBeUndefined()
    expect(want.length).toBeGreaterThan(0)
  })

  it('gives the same packets when split at every byte', () => {
    // The 22 KB rocket files: every byte of the first 3000 (headers and the
    // first records) and the last 1000, every 7th in between, to spare the CI cores.
    const step = (cut: number) => (cut < 3000 || cut > file.length - 1000 ? 1 : 7)
    for (let cut = 0; cut <= file.length; cut += step(cut)) {
      const r = readChunks(splitAt(file, cut))
      expect(r.error).toBeUndefined()
      expect(r.packets.length).toBe(want.length)
      // Comparing every byte of every split is slow; the count and the packets
      // around the cut are where a split bug shows.
      if (cut % 97 === 0 || cut === file.length) expect(r.packets.map(summary)).toEqual(want)
    }
  })

  it('gives the same packets from 1-byte chunks', () => {
    const chunks = Array.from({length: file.length}, (_, i) => file.subarray(i, i + 1))
    expect(readChunks(chunks).packets.map(summary)).toEqual(want)
  })

  it('gives the same packets at random pairs of cuts', () => {
    fc.assert(
      fc.property(fc.nat(file.length), fc.nat(file.length), (a, b) => {
        const r = readChunks(splitAt(file, Math.min(a, b), Math.max(a, b)))
        expect(r.packets.map(summary)).toEqual(want)
      }),
      {numRuns: 60},
    )
  })

  it('reports the same truncation however a cut-short file is split', () => {
    const cutShort = file.subarray(0, file.length - 5)
    const ref = readChunks([cutShort])
    expect(ref.error?.code).toBe('TRUNCATED')
    for (let cut = 0; cut <= cutShort.length; cut += 13) {
      const r = readChunks(splitAt(cutShort, cut))
      expect(errorOf(r)).toEqual(errorOf(ref))
      expect(r.packets.length).toBe(ref.packets.length)
    }
  })
})
