// The packet and capture-file decoders through the shared fuzz harness
// (test/fuzz/harness.ts): random bytes and mutations of real packets and
// files, with the invariants below checked on every case. FUZZ_CASES and
// FUZZ_SEED work as for the other decoders.
import {isDeepStrictEqual} from 'node:util'
import {describe, expect, it} from 'vitest'

import {
  decodeByLayers,
  decodePacket,
  encodePacket,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  type CapturedPacket,
} from '../../decoders/packet/index.js'
import {CaptureFileDecoder, encodePcapFile, encodePcapNgFile} from '../../decoders/pcap/index.js'
import {corruptInt32At, formatReport, IterationBudget, makeInput, runFuzz, type FuzzTarget} from '../fuzz/harness.js'
import type {Rng} from '../fuzz/rng.js'
import {fixture, readChunks} from '../fixtures/pcap/read-capture.js'

const CASES = Number(process.env.FUZZ_CASES ?? 100_000)
const LIMIT_MS = 300_000

class InvariantError extends Error {}
function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new InvariantError(what)
}

const LINK_TYPES = [LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NULL, LINKTYPE_LOOP, LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6]
const SPEC = {src: '10.0.0.1', dst: '10.0.0.2', srcPort: 50346, dstPort: 12346, seq: 1, ack: 2, payload: Buffer.from('02000000460000001400', 'hex')}

// Seeds: the link type in the first byte (index into LINK_TYPES), then a real or built packet of that type.
const packetSeeds: Uint8Array[] = []
const realPackets: Array<[string, number]> = [
  ['rocket_first_call.pcap', 0],
  ['any_sll.pcap', 1],
  ['any_sll2.pcap', 2],
  ['lo_ipv6.pcap', 0],
]
for (const [name, index] of realPackets) for (const p of readChunks([fixture(name)]).packets.slice(0, 8)) packetSeeds.push(Uint8Array.from([index, ...p.data]))
LINK_TYPES.forEach((lt, index) => {
  for (const extra of [{}, {src: 'fd00::1', dst: 'fd00::2', ipv6Extensions: [{type: 0}, {type: 60}]}, {options: {mss: 1460, sack: [[1, 2]] as Array<[number, number]>, tsVal: 1, tsEcr: 2, windowScale: 7}}]) {
    const spec = {...SPEC, ...extra, linkType: lt}
    if (lt === LINKTYPE_IPV4 && 'ipv6Extensions' in extra) continue
    const src = lt === LINKTYPE_IPV6 && !('ipv6Extensions' in extra) ? {src: '::1', dst: '::2'} : {}
    packetSeeds.push(Uint8Array.from([index, ...encodePacket({...spec, ...src, vlan: lt === LINKTYPE_ETHERNET ? [5] : undefined})]))
    // Untagged too: the one-pass path of decodePacket takes these (Ethernet, SLL, SLL2 with IPv4).
    if (lt === LINKTYPE_ETHERNET) packetSeeds.push(Uint8Array.from([index, ...encodePacket({...spec, ...src})]))
  }
})

const decodePacketTarget: FuzzTarget = {
  name: 'decodePacket',
  seeds: packetSeeds,
  maxLen: 512,
  run(input) {
    if (input.length === 0) return
    const lt = LINK_TYPES[input[0] % LINK_TYPES.length]
    const bytes = input.subarray(1)
    for (const origLen of [undefined, bytes.length, bytes.length + 100]) {
      const r = decodePacket(lt, bytes, {tsSec: 1, tsNsec: 2, origLen})
      // The one-pass common case and the layer-by-layer decode agree on everything.
      check(isDeepStrictEqual(r, decodeByLayers(lt, bytes, {tsSec: 1, tsNsec: 2, origLen})), 'decodePacket and decodeByLayers disagree')
      if (r.kind === 'error') {
        check(r.offset >= 0 && r.offset <= bytes.length, `error offset ${r.offset} outside the ${bytes.length} bytes`)
        check(r.message.length > 0, 'error without a message')
      } else if (r.kind === 'tcp') {
        const p = r.segment.payload
        check(p.length === 0 || (p.buffer === bytes.buffer && p.byteOffset >= bytes.byteOffset && p.byteOffset + p.length <= bytes.byteOffset + bytes.length), 'payload is not a view into the packet')
        check(r.segment.wireLength === undefined || r.segment.wireLength > p.length, 'wireLength set but not above the payload')
        check(r.segment.seq >= 0 && r.segment.seq <= 0xffffffff && r.segment.ack >= 0 && r.segment.ack <= 0xffffffff, 'sequence numbers out of uint32')
      } else {
        check(r.kind === 'skip' && Number.isInteger(r.value), 'unknown result kind')
      }
    }
  },
}

// Capture files: small real ones and built ones in every byte order and timestamp resolution.
const pkt = (i: number) => encodePacket({...SPEC, seq: i, payload: Buffer.alloc(i * 5, i)})
const fileSeeds: Uint8Array[] = [
  fixture('rocket_first_call.pcap'),
  encodePcapFile({linkType: 1, nanoseconds: true, bigEndian: true}, [1, 2].map((i) => ({tsSec: i, tsNsec: i, data: pkt(i)}))),
  encodePcapNgFile({bigEndian: true, interfaces: [{linkType: 1, tsresol: 9}, {linkType: 276}], packets: [1, 2, 3].map((i) => ({tsSec: i, tsNsec: 0, data: pkt(i), interfaceId: i % 2, simple: i === 3}))}),
  encodePcapNgFile({interfaces: [{linkType: 1, tsresol: 0x80 | 20, tsOffset: 5}], packets: [{tsSec: 9, tsNsec: 9, data: pkt(4)}]}),
  fixture('dumpcap_lo.pcapng').subarray(0, 1500),
]

/** Offsets of the 32-bit length fields of pcap records and pcapng blocks (either byte order is fine to corrupt). */
function lengthOffsets(input: Uint8Array): number[] {
  const out: number[] = []
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength)
  if (input[0] === 0x0a) {
    for (let at = 0; at + 8 <= input.length; ) {
      out.push(at + 4, at + 8 + 12)
      const be = view.getUint32(at + 4, false)
      const le = view.getUint32(at + 4, true)
      const len = be % 4 === 0 && be >= 12 && be < 1 << 20 ? be : le
      if (len < 12 || len % 4 !== 0) break
      at += len
    }
  } else {
    for (let at = 24; at + 16 <= input.length; ) {
      out.push(at + 8, at + 12)
      const be = view.getUint32(at + 8, false)
      const le = view.getUint32(at + 8, true)
      at += 16 + Math.min(be, le)
    }
  }
  return out
}

function decodeWhole(input: Buffer) {
  const d = new CaptureFileDecoder({maxBlock: 1 << 20})
  const out: CapturedPacket[] = []
  const at = d.decode(input, 0, input.length, out)
  const error = d.error ?? d.finish(at, input.length)
  return {out, error}
}

const captureFileTarget: FuzzTarget = {
  name: 'CaptureFileDecoder',
  seeds: fileSeeds,
  maxLen: 4096,
  mutators: [corruptInt32At(lengthOffsets)],
  run(input, rng: Rng) {
    const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    const whole = decodeWhole(buf)
    for (const p of whole.out) {
      check(p.data.buffer === buf.buffer && p.data.byteOffset >= buf.byteOffset && p.data.byteOffset + p.data.length <= buf.byteOffset + buf.length, 'packet data outside the input')
      check(p.tsNsec >= 0 && p.tsNsec < 1e9 && Number.isFinite(p.tsSec), `timestamp ${p.tsSec}.${p.tsNsec} out of range`)
    }
    // The same input in chunks split at random points decodes to the same packets and error.
    const d = new CaptureFileDecoder({maxBlock: 1 << 20})
    const out: CapturedPacket[] = []
    let carry = Buffer.alloc(0)
    let at = 0
    const budget = new IterationBudget(input.length + 10, 'chunks')
    while (at < buf.length) {
      budget.tick()
      const n = 1 + rng.int(Math.min(700, buf.length - at))
      const joined = Buffer.concat([carry, buf.subarray(at, at + n)])
      at += n
      const used = d.decode(joined, 0, joined.length, out)
      check(used >= 0 && used <= joined.length, 'consumed offset outside the chunk')
      carry = joined.subarray(used)
      if (d.error) break
    }
    const error = d.error ?? d.finish(0, carry.length)
    check(out.length === whole.out.length, `split decode gave ${out.length} packets, whole gave ${whole.out.length}`)
    check(error?.code === whole.error?.code && error?.offset === whole.error?.offset, `split decode error ${error?.code}@${error?.offset}, whole ${whole.error?.code}@${whole.error?.offset}`)
  },
}

describe('fuzz', () => {
  for (const target of [decodePacketTarget, captureFileTarget]) {
    it(`${target.name}: ${CASES} random and mutated inputs`, {timeout: LIMIT_MS}, () => {
      const r = runFuzz(target, {cases: CASES})
      expect(r.failures, formatReport(r)).toEqual([])
      expect(r.cases).toBe(CASES)
    })
  }
})

/** The outcomes the first n inputs of a target reach: a fuzz that never reaches an error path proves nothing about it. */
function outcomes(target: FuzzTarget, n: number, classify: (input: Uint8Array) => string): Set<string> {
  const seen = new Set<string>()
  for (let i = 0; i < n; i++) seen.add(classify(makeInput(target, 1, i).input))
  return seen
}

describe('the fuzz inputs reach every outcome', () => {
  it('of decodePacket', () => {
    const seen = outcomes(decodePacketTarget, 20_000, (input) => {
      if (input.length === 0) return 'empty'
      const r = decodePacket(LINK_TYPES[input[0] % LINK_TYPES.length], input.subarray(1), {tsSec: 0, tsNsec: 0})
      return r.kind === 'tcp' ? (r.segment.wireLength === undefined ? 'tcp' : 'tcp-cut') : r.kind === 'skip' ? r.reason : r.code
    })
    for (const o of ['tcp', 'tcp-cut', 'NOT_IP', 'NOT_TCP', 'IP_FRAGMENT', 'TRUNCATED', 'BAD_IP_VERSION', 'BAD_IP_HEADER_LENGTH', 'BAD_IP_TOTAL_LENGTH', 'BAD_TCP_DATA_OFFSET', 'BAD_EXTENSION_HEADER']) {
      expect(seen, o).toContain(o)
    }
  })

  it('of CaptureFileDecoder', () => {
    const seen = outcomes(captureFileTarget, 20_000, (input) => {
      const r = decodeWhole(Buffer.from(input))
      return r.error === undefined ? (r.out.length > 0 ? 'packets' : 'none') : r.error.code
    })
    for (const o of ['packets', 'EMPTY', 'BAD_MAGIC', 'UNSUPPORTED_VERSION', 'RECORD_TOO_LARGE', 'BAD_BLOCK_LENGTH', 'BLOCK_LENGTH_MISMATCH', 'BAD_BLOCK', 'UNKNOWN_INTERFACE', 'TRUNCATED']) {
      expect(seen, o).toContain(o)
    }
  })
})
