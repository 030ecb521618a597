// SourceChunks feeds file and pipe chunks to the decoder without copying them;
// a record cut between chunks is finished in a small joined buffer. Streams are
// split at every byte, into 1-byte pieces and at random cut sets, with records
// both smaller and much larger than the first join attempt (4 KiB).
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {type CapturedPacket, encodePacket} from '../../decoders/packet/index.js'
import {CaptureFileDecoder, encodePcapFile, encodePcapNgFile} from '../../decoders/pcap/index.js'
import {SourceChunks} from '../../src/capture/source-chunks.js'
import {describe as summary, fixture, readChunks, splitAt} from '../fixtures/pcap/read-capture.js'

function viaChunks(chunks: Buffer[]) {
  const decoder = new CaptureFileDecoder()
  const feeder = new SourceChunks(decoder)
  const packets: CapturedPacket[] = []
  for (const c of chunks) feeder.push(c, packets)
  const error = decoder.error ?? feeder.finish()
  return {packets: packets.map(summary), error: error && {code: error.code, offset: error.offset}}
}

const big = (i: number, size: number) => encodePacket({src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1000 + i, dstPort: 12345, seq: i, payload: Buffer.alloc(size, i)})
const files: Array<[string, Buffer]> = [
  ['rocket_first_call.pcap', fixture('rocket_first_call.pcap')],
  ['mixed_links.pcapng', fixture('mixed_links.pcapng')],
  ['big records pcap', encodePcapFile({linkType: 1}, [30, 9000, 20, 40000, 60].map((n, i) => ({tsSec: i, tsNsec: 0, data: big(i, n)})))],
  ['big records pcapng', encodePcapNgFile({interfaces: [{linkType: 1}], packets: [50000, 10, 5000].map((n, i) => ({tsSec: i, tsNsec: 0, data: big(i, n)}))})],
]

describe.each(files)('SourceChunks over %s', (_name, file) => {
  const want = readChunks([file])
  const wantPackets = want.packets.map(summary)

  it('gives what one whole read gives, split at every byte', () => {
    expect(want.error).toBeUndefined()
    const step = file.length > 20_000 ? 61 : 1
    for (let cut = 0; cut <= file.length; cut += step) expect(viaChunks(splitAt(file, cut))).toEqual({packets: wantPackets, error: undefined})
  })

  it('gives the same from small pieces and random cut sets', () => {
    const pieces = (n: number) => Array.from({length: Math.ceil(file.length / n)}, (_, i) => file.subarray(i * n, (i + 1) * n))
    expect(viaChunks(pieces(1)).packets.length).toBe(wantPackets.length)
    expect(viaChunks(pieces(7))).toEqual({packets: wantPackets, error: undefined})
    fc.assert(
      fc.property(fc.array(fc.nat(file.length), {maxLength: 12}), (cuts) => {
        expect(viaChunks(splitAt(file, ...[...new Set(cuts)].sort((a, b) => a - b)))).toEqual({packets: wantPackets, error: undefined})
      }),
      {numRuns: 100},
    )
  })

  it('reports a stream cut short the same however it was split', () => {
    const cutShort = file.subarray(0, file.length - 3)
    const ref = viaChunks([cutShort])
    expect(ref.error?.code).toBe('TRUNCATED')
    for (let cut = 0; cut <= cutShort.length; cut += 97) expect(viaChunks(splitAt(cutShort, cut))).toEqual(ref)
  })
})
