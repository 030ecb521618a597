import {execFileSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {
  decodeCapturedPacket,
  decodeCapturedPacketReusing,
  decodePacket,
  encodePacket,
  formatIpv6,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  type PacketResult,
  type PacketSpec,
  parseIpv6,
  SegmentSlot,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_SYN,
  type TcpSegment,
  wireLengthFromHeaders,
} from '../../decoders/packet/index.js'
import {encodePcapFile} from '../../decoders/pcap/index.js'
import {fixture, readChunks} from '../fixtures/pcap/read-capture.js'

const TS = {tsSec: 1_700_000_000, tsNsec: 123_456_000}
// The makeOrder request from TINYPB.md ("A real frame"), 70 bytes.
const PAYLOAD = Buffer.from(
  '02 00000046 00000014 3230303030303030303030303030303030303031 0000000f 4f726465722e6d616b654f72646572 00000000 00000000 086412056170706c65 00000001 03'.replace(/\s/g, ''),
  'hex',
)

function tcp(r: PacketResult): TcpSegment {
  if (r.kind !== 'tcp') throw new Error(`expected a TCP segment, got ${JSON.stringify(r)}`)
  return r.segment
}

const BASE: PacketSpec = {
  src: '10.0.0.1',
  dst: '10.0.0.2',
  srcPort: 50346,
  dstPort: 12346,
  seq: 3001752417,
  ack: 1091039743,
  window: 64,
  options: {tsVal: 337632278, tsEcr: 3790133645},
  payload: PAYLOAD,
}

describe('decodePacket on the real rocket capture', () => {
  const {packets} = readChunks([fixture('rocket_fast_25calls_12346.pcap')])

  it('decodes the SYN as tcpdump prints it', () => {
    // 02:48:22.959472 IP 127.0.0.1.50346 > 127.0.0.1.12346: Flags [S], seq 3001752416, win 65495,
    //   options [mss 65495,sackOK,TS val 337632278 ecr 0,nop,wscale 10], length 0
    const s = tcp(decodeCapturedPacket(packets[0]))
    expect(s).toMatchObject({
      ipVersion: 4,
      src: '127.0.0.1',
      dst: '127.0.0.1',
      srcPort: 50346,
      dstPort: 12346,
      seq: 3001752416,
      ack: 0,
      flags: TCP_SYN,
      window: 65495,
      options: {mss: 65495, sackPermitted: true, tsVal: 337632278, tsEcr: 0, windowScale: 10},
      wireLength: undefined,
    })
    expect(s.payload.length).toBe(0)
    expect(s.tsNsec).toBe(959_472_000)
  })

  it('gives the request frame as a view into the captured packet', () => {
    const s = tcp(decodeCapturedPacket(packets[3]))
    expect(s.flags).toBe(TCP_PSH | TCP_ACK)
    expect(s.payload.length).toBe(71)
    expect(s.payload[0]).toBe(0x02)
    expect(s.payload[70]).toBe(0x03)
    expect(s.payload.buffer).toBe(packets[3].data.buffer)
    expect(Buffer.from(s.payload).toString('latin1')).toContain('Order.makeOrder')
  })

  it('decodes every packet of the capture as TCP', () => {
    const segments = packets.map((p) => tcp(decodeCapturedPacket(p)))
    // rocket never closes: only the 25 clients send a FIN (TINYPB.md).
    const fins = segments.filter((s) => s.flags & TCP_FIN)
    expect(fins.length).toBe(25)
    expect(fins.every((s) => s.dstPort === 12346)).toBe(true)
    expect(segments.reduce((n, s) => n + s.payload.length, 0)).toBe(3575) // tshark: sum of tcp.len
  })

  it('gives the same segments when one slot is refilled for every packet, of every fixture', () => {
    for (const name of ['rocket_fast_25calls_12346.pcap', 'any_sll.pcap', 'any_sll2.pcap', 'lo_ipv6.pcap', 'truncated_replies.pcap']) {
      const slot = new SegmentSlot()
      let reused = 0
      for (const p of readChunks([fixture(name)]).packets) {
        const r = decodeCapturedPacketReusing(p, slot)
        // Compared before the next packet refills the slot.
        expect({...r, ...(r.kind === 'tcp' ? {segment: {...r.segment}} : {})}).toEqual(decodeCapturedPacket(p))
        if (r === slot.result) reused++
      }
      // The one-pass common case (IPv4) took the slot; IPv6 never does.
      expect(reused > 0).toBe(name !== 'lo_ipv6.pcap')
    }
  })
})

describe('link layers', () => {
  const cases: Array<[string, PacketSpec]> = [
    ['Ethernet', {...BASE}],
    ['Ethernet + 802.1Q', {...BASE, vlan: [42]}],
    ['Ethernet + QinQ', {...BASE, vlan: [100, 200]}],
    ['SLL', {...BASE, linkType: LINKTYPE_LINUX_SLL}],
    ['SLL2', {...BASE, linkType: LINKTYPE_LINUX_SLL2}],
    ['NULL little-endian', {...BASE, linkType: LINKTYPE_NULL}],
    ['NULL big-endian', {...BASE, linkType: LINKTYPE_NULL, nullBigEndian: true}],
    ['LOOP', {...BASE, linkType: LINKTYPE_LOOP}],
    ['RAW IPv4', {...BASE, linkType: LINKTYPE_RAW}],
    ['IPV4', {...BASE, linkType: LINKTYPE_IPV4}],
    ['RAW IPv6', {...BASE, src: 'fd00::1', dst: 'fd00::2', linkType: LINKTYPE_RAW}],
    ['IPV6', {...BASE, src: 'fd00::1', dst: 'fd00::2', linkType: LINKTYPE_IPV6}],
    ['NULL IPv6', {...BASE, src: '::1', dst: '::1', linkType: LINKTYPE_NULL}],
    ['Ethernet IPv6', {...BASE, src: '2001:db8::1', dst: '2001:db8::2'}],
  ]
  it.each(cases)('%s', (_name, spec) => {
    const s = tcp(decodePacket(spec.linkType ?? LINKTYPE_ETHERNET, encodePacket(spec), TS))
    expect(s).toMatchObject({src: spec.src, dst: spec.dst, srcPort: 50346, dstPort: 12346, seq: spec.seq, ack: spec.ack, ...TS})
    expect(Buffer.from(s.payload).equals(PAYLOAD)).toBe(true)
    expect(s.ipVersion).toBe(spec.src.includes(':') ? 6 : 4)
  })

  it('skips what is not IP, with its EtherType or address family', () => {
    const arp = encodePacket(BASE)
    arp.writeUInt16BE(0x0806, 12)
    expect(decodePacket(LINKTYPE_ETHERNET, arp, TS)).toEqual({kind: 'skip', reason: 'NOT_IP', value: 0x0806})
    const nullFrame = encodePacket({...BASE, linkType: LINKTYPE_NULL})
    nullFrame.writeUInt32LE(7, 0)
    expect(decodePacket(LINKTYPE_NULL, nullFrame, TS)).toEqual({kind: 'skip', reason: 'NOT_IP', value: 7})
  })

  it('reports an unsupported link type', () => {
    const r = decodePacket(105, encodePacket(BASE), TS) // IEEE 802.11
    expect(r).toMatchObject({kind: 'error', code: 'UNSUPPORTED_LINK_TYPE', layer: 'link'})
  })

  it('refuses a frame of endless VLAN tags', () => {
    const b = Buffer.alloc(14 + 4 * 20, 0)
    for (let at = 12; at < b.length - 2; at += 4) b.writeUInt16BE(0x8100, at)
    expect(decodePacket(LINKTYPE_ETHERNET, b, TS)).toMatchObject({kind: 'error', code: 'BAD_LINK_HEADER'})
  })

  it('cuts the Ethernet minimum-frame padding off the payload', () => {
    const small = encodePacket({...BASE, options: {}, payload: Buffer.from('hi')})
    const padded = Buffer.concat([small, Buffer.alloc(60 - small.length + 4, 0xee)]) // padding + FCS
    expect(Buffer.from(tcp(decodePacket(LINKTYPE_ETHERNET, padded, TS)).payload).toString()).toBe('hi')
  })

  it('reads the real SLL, SLL2 and IPv6 captures', () => {
    for (const [name, version, linkType] of [
      ['any_sll.pcap', 4, LINKTYPE_LINUX_SLL],
      ['any_sll2.pcap', 4, LINKTYPE_LINUX_SLL2],
      ['lo_ipv6.pcap', 6, LINKTYPE_ETHERNET],
    ] as const) {
      const {packets} = readChunks([fixture(name)])
      expect(packets.length).toBe(30)
      const segments = packets.map((p) => tcp(decodeCapturedPacket(p)))
      expect(packets[0].linkType).toBe(linkType)
      expect(segments.every((s) => s.ipVersion === version)).toBe(true)
      expect(segments[0].src).toBe(version === 6 ? '::1' : '127.0.0.1')
      // 3 calls: 70-byte requests and 71-byte replies.
      expect(segments.map((s) => s.payload.length).filter((n) => n > 0).sort()).toEqual([70, 70, 70, 71, 71, 71])
    }
  })
})

describe('IPv4', () => {
  it('skips over header options', () => {
    const b = encodePacket({...BASE, ipv4Options: Uint8Array.of(0x94, 0x04, 0x00, 0x00)}) // router alert
    expect(b[14] & 0x0f).toBe(6)
    expect(Buffer.from(tcp(decodePacket(LINKTYPE_ETHERNET, b, TS)).payload).equals(PAYLOAD)).toBe(true)
  })

  it('reports fragments without reassembling them', () => {
    const b = encodePacket(BASE)
    b.writeUInt16BE(0x2000 | 0, 20) // MF, offset 0
    b.writeUInt16BE(777, 18)
    expect(decodePacket(LINKTYPE_ETHERNET, b, TS)).toEqual({
      kind: 'skip',
      reason: 'IP_FRAGMENT',
      value: 6,
      fragment: {ipVersion: 4, src: '10.0.0.1', dst: '10.0.0.2', id: 777, offset: 0, more: true, protocol: 6},
    })
    b.writeUInt16BE(185, 20) // last fragment at 1480 bytes
    expect(decodePacket(LINKTYPE_ETHERNET, b, TS)).toMatchObject({reason: 'IP_FRAGMENT', fragment: {offset: 1480, more: false}})
  })

  it('skips other protocols with their number', () => {
    const b = encodePacket(BASE)
    b[14 + 9] = 17
    expect(decodePacket(LINKTYPE_ETHERNET, b, TS)).toEqual({kind: 'skip', reason: 'NOT_TCP', value: 17})
  })

  it('flags a bad version, header length and total length', () => {
    const v = encodePacket(BASE)
    v[14] = 0x55
    expect(decodePacket(LINKTYPE_ETHERNET, v, TS)).toMatchObject({code: 'BAD_IP_VERSION', layer: 'ipv4', offset: 14})
    const ihl = encodePacket(BASE)
    ihl[14] = 0x44
    expect(decodePacket(LINKTYPE_ETHERNET, ihl, TS)).toMatchObject({code: 'BAD_IP_HEADER_LENGTH', offset: 14})
    const short = encodePacket(BASE)
    short.writeUInt16BE(10, 16)
    expect(decodePacket(LINKTYPE_ETHERNET, short, TS)).toMatchObject({code: 'BAD_IP_TOTAL_LENGTH', offset: 16})
    const long = encodePacket(BASE)
    long.writeUInt16BE(long.length, 16) // longer than the bytes after the Ethernet header
    expect(decodePacket(LINKTYPE_ETHERNET, long, {...TS, origLen: long.length})).toMatchObject({code: 'BAD_IP_TOTAL_LENGTH'})
  })

  it('takes total length 0 as a segmentation-offload capture', () => {
    const b = encodePacket(BASE)
    b.writeUInt16BE(0, 16)
    expect(Buffer.from(tcp(decodePacket(LINKTYPE_ETHERNET, b, TS)).payload).equals(PAYLOAD)).toBe(true)
  })
})

describe('IPv6', () => {
  const V6 = {...BASE, src: 'fd00::1', dst: 'fd00::2'}

  it('walks hop-by-hop, routing, destination options and atomic fragment headers', () => {
    const b = encodePacket({
      ...V6,
      ipv6Extensions: [{type: 0, body: Uint8Array.of(5, 2, 0, 0)}, {type: 43}, {type: 60, body: new Uint8Array(12)}, {type: 44}, {type: 51, body: new Uint8Array(10)}],
    })
    const s = tcp(decodePacket(LINKTYPE_ETHERNET, b, TS))
    expect(Buffer.from(s.payload).equals(PAYLOAD)).toBe(true)
    expect(s.srcPort).toBe(50346)
  })

  it('reports a fragment', () => {
    const b = encodePacket({...V6, ipv6Extensions: [{type: 44, body: Uint8Array.of(0x05, 0xc9, 0, 0, 0x12, 0x34)}]})
    expect(decodePacket(LINKTYPE_ETHERNET, b, TS)).toEqual({
      kind: 'skip',
      reason: 'IP_FRAGMENT',
      value: 6,
      fragment: {ipVersion: 6, src: 'fd00::1', dst: 'fd00::2', id: 0x1234, offset: 1480, more: true, protocol: 6},
    })
  })

  it('stops at ESP and no-next-header', () => {
    const b = encodePacket({...V6, ipv6Extensions: [{type: 0}]})
    b[14 + 40] = 50
    expect(decodePacket(LINKTYPE_ETHERNET, b, TS)).toEqual({kind: 'skip', reason: 'NOT_TCP', value: 50})
    b[14 + 40] = 59
    expect(decodePacket(LINKTYPE_ETHERNET, b, TS)).toEqual({kind: 'skip', reason: 'NOT_TCP', value: 59})
  })

  it('refuses an extension header longer than the payload, and an endless chain', () => {
    const b = encodePacket({...V6, ipv6Extensions: [{type: 60}]})
    b[14 + 41] = 200
    expect(decodePacket(LINKTYPE_ETHERNET, b, TS)).toMatchObject({code: 'BAD_EXTENSION_HEADER', offset: 54})
    const chain = encodePacket({...V6, payload: undefined, ipv6Extensions: Array.from({length: 20}, () => ({type: 60}))})
    expect(decodePacket(LINKTYPE_ETHERNET, chain, TS)).toMatchObject({code: 'BAD_EXTENSION_HEADER'})
  })

  it('formats addresses as RFC 5952 says', () => {
    const cases = ['::', '::1', '2001:db8::1', '2001:db8:0:1:1:1:1:1', '2001:0:0:1::1', 'fe80::fc:ff:fe00:1', '::ffff:192.0.2.1', '2001:db8::', '1:0:0:2::3']
    const expected = ['::', '::1', '2001:db8::1', '2001:db8:0:1:1:1:1:1', '2001:0:0:1::1', 'fe80::fc:ff:fe00:1', '::ffff:192.0.2.1', '2001:db8::', '1:0:0:2::3']
    expect(cases.map((c) => formatIpv6(parseIpv6(c)!, 0))).toEqual(expected)
    expect(formatIpv6(parseIpv6('2001:0DB8:0000:0000:0000:0000:0000:0001')!, 0)).toBe('2001:db8::1')
    expect(formatIpv6(parseIpv6('1:0:0:1:0:0:0:1')!, 0)).toBe('1:0:0:1::1') // the longer run wins
    expect(formatIpv6(parseIpv6('1:0:0:1:1:0:0:1')!, 0)).toBe('1::1:1:0:0:1') // the first of equal runs
  })
})

describe('TCP', () => {
  it('decodes SACK blocks and skips unknown options', () => {
    const b = encodePacket({...BASE, options: {sack: [[100, 200], [300, 4_000_000_000]], tsVal: 1, tsEcr: 2}})
    expect(tcp(decodePacket(LINKTYPE_ETHERNET, b, TS)).options).toEqual({sack: [[100, 200], [300, 4_000_000_000]], tsVal: 1, tsEcr: 2})
    const t = encodePacket({...BASE, options: {mss: 1460, windowScale: 7}})
    t.set([254, 4, 0xab, 0xcd], 14 + 20 + 20) // experimental option where MSS was
    expect(tcp(decodePacket(LINKTYPE_ETHERNET, t, TS)).options).toEqual({windowScale: 7})
  })

  it('stops at a malformed option and still delivers the payload', () => {
    const b = encodePacket({...BASE, options: {mss: 1460, windowScale: 7}})
    b[14 + 20 + 20 + 1] = 60 // MSS option claims to run past the header
    const s = tcp(decodePacket(LINKTYPE_ETHERNET, b, TS))
    expect(s.options).toEqual({})
    expect(Buffer.from(s.payload).equals(PAYLOAD)).toBe(true)
  })

  it('flags a bad data offset', () => {
    const low = encodePacket(BASE)
    low[14 + 20 + 12] = 0x40
    expect(decodePacket(LINKTYPE_ETHERNET, low, TS)).toMatchObject({code: 'BAD_TCP_DATA_OFFSET', layer: 'tcp', offset: 46})
    const high = encodePacket({...BASE, payload: undefined})
    high[14 + 20 + 12] = 0xf0
    expect(decodePacket(LINKTYPE_ETHERNET, high, TS)).toMatchObject({code: 'BAD_TCP_DATA_OFFSET'})
  })
})

describe('captures cut short (snaplen)', () => {
  it('at every length: a header error, or the payload seen so far with its wire length', () => {
    for (const spec of [BASE, {...BASE, src: 'fd00::1', dst: 'fd00::2', ipv6Extensions: [{type: 0}]}, {...BASE, vlan: [7]}]) {
      const whole = encodePacket(spec)
      const headers = whole.length - PAYLOAD.length
      for (let cut = 0; cut < whole.length; cut++) {
        const r = decodePacket(LINKTYPE_ETHERNET, whole.subarray(0, cut), {...TS, origLen: whole.length})
        if (cut < headers) {
          expect(r).toMatchObject({kind: 'error', code: 'TRUNCATED'})
        } else {
          const s = tcp(r)
          expect(s.payload.length).toBe(cut - headers)
          expect(s.wireLength).toBe(PAYLOAD.length)
        }
      }
    }
  })

  it('estimates the wire length of a cut packet from its IP header', () => {
    const whole = encodePacket(BASE)
    expect(wireLengthFromHeaders(LINKTYPE_ETHERNET, whole.subarray(0, 40))).toBe(whole.length)
    const v6 = encodePacket({...BASE, src: '::1', dst: '::1', linkType: LINKTYPE_LINUX_SLL2})
    expect(wireLengthFromHeaders(LINKTYPE_LINUX_SLL2, v6.subarray(0, 30))).toBe(v6.length)
  })
})

describe('properties', () => {
  const linkTypes = [LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NULL, LINKTYPE_LOOP, LINKTYPE_RAW]
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'))
  const v6 = fc.array(fc.nat(0xffff), {minLength: 8, maxLength: 8}).map((g) => formatIpv6(Uint8Array.from(g.flatMap((x) => [x >> 8, x & 0xff])), 0))
  const spec = fc.record({
    family: fc.boolean(),
    a: v4,
    b: v4,
    c: v6,
    d: v6,
    srcPort: fc.nat(0xffff),
    dstPort: fc.nat(0xffff),
    seq: fc.nat({max: 0xffffffff}),
    ack: fc.nat({max: 0xffffffff}),
    flags: fc.nat(0xff),
    window: fc.nat(0xffff),
    mss: fc.option(fc.nat(0xffff), {nil: undefined}),
    windowScale: fc.option(fc.nat(14), {nil: undefined}),
    ts: fc.option(fc.tuple(fc.nat({max: 0xffffffff}), fc.nat({max: 0xffffffff})), {nil: undefined}),
    payload: fc.uint8Array({maxLength: 300}),
    linkType: fc.constantFrom(...linkTypes),
  })

  it('decode(encode(x)) gives back x for every link type and address family', () => {
    fc.assert(
      fc.property(spec, (x) => {
        const p: PacketSpec = {
          src: x.family ? x.a : x.c,
          dst: x.family ? x.b : x.d,
          srcPort: x.srcPort,
          dstPort: x.dstPort,
          seq: x.seq,
          ack: x.ack,
          flags: x.flags,
          window: x.window,
          options: {mss: x.mss, windowScale: x.windowScale, tsVal: x.ts?.[0], tsEcr: x.ts?.[1]},
          payload: x.payload,
          linkType: x.linkType,
        }
        const s = tcp(decodePacket(x.linkType, encodePacket(p), TS))
        expect(s).toMatchObject({src: p.src, dst: p.dst, srcPort: p.srcPort, dstPort: p.dstPort, seq: p.seq, ack: p.ack, flags: p.flags, window: p.window})
        const want: Record<string, number> = {}
        if (x.mss !== undefined) want.mss = x.mss
        if (x.windowScale !== undefined) want.windowScale = x.windowScale
        if (x.ts !== undefined) Object.assign(want, {tsVal: x.ts[0], tsEcr: x.ts[1]})
        expect(s.options).toEqual(want)
        expect(Buffer.from(s.payload).equals(Buffer.from(x.payload))).toBe(true)
      }),
      {numRuns: 500},
    )
  })

  it('never throws on random or mutated bytes, and errors point inside the packet', () => {
    const real = readChunks([fixture('rocket_fast_25calls_12346.pcap')]).packets.map((p) => Buffer.from(p.data))
    const mutated = fc
      .tuple(fc.constantFrom(...real), fc.array(fc.tuple(fc.nat(200), fc.nat(255)), {maxLength: 6}), fc.nat(200))
      .map(([b, edits, cut]) => {
        const c = Buffer.from(b)
        for (const [at, v] of edits) if (at < c.length) c[at] = v
        return c.subarray(0, Math.min(c.length, cut))
      })
    fc.assert(
      fc.property(fc.constantFrom(...linkTypes, LINKTYPE_IPV4, LINKTYPE_IPV6, 228, 999), fc.oneof(fc.uint8Array({maxLength: 120}), mutated), (lt, bytes) => {
        const r = decodePacket(lt, bytes, TS)
        if (r.kind === 'error') {
          expect(r.offset).toBeGreaterThanOrEqual(0)
          expect(r.offset).toBeLessThanOrEqual(bytes.length)
        }
        if (r.kind === 'tcp') expect(r.segment.payload.length).toBeLessThanOrEqual(bytes.length)
      }),
      {numRuns: 5000},
    )
  })
})

describe('encodePacket against tcpdump', () => {
  it('builds packets tcpdump reads with correct checksums', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-packet-'))
    const file = join(dir, 'built.pcap')
    const packets = [
      encodePacket({...BASE, flags: TCP_SYN, payload: undefined, options: {mss: 65495, sackPermitted: true, tsVal: 5, tsEcr: 0, windowScale: 10}}),
      encodePacket({...BASE, vlan: [42]}),
      encodePacket({...BASE, src: '2001:db8::1', dst: '2001:db8::2'}),
    ]
    writeFileSync(file, encodePcapFile({linkType: LINKTYPE_ETHERNET}, packets.map((data, i) => ({tsSec: 1_700_000_000 + i, tsNsec: 0, data}))))
    const out = execFileSync('tcpdump', ['-envvr', file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
    expect(out).toContain('10.0.0.1.50346 > 10.0.0.2.12346: Flags [S]')
    expect(out).toContain('options [mss 65495,sackOK,TS val 5 ecr 0,nop,wscale 10]')
    expect(out).toContain('vlan 42')
    expect(out).toContain('2001:db8::1.50346 > 2001:db8::2.12346')
    expect(out.match(/cksum 0x[0-9a-f]+ \(correct\)/g)?.length).toBe(3) // TCP checksums
    expect(out).not.toMatch(/incorrect|bad cksum/) // tcpdump -v names a bad IPv4 header checksum
  })
})
