// Capture files for the Wireshark comparison, built from scripted TCP
// conversations (real sequence and ack numbers) and frames encoded by
// rpcdiag's own encoder: frames cut at awkward offsets, several frames per
// segment, garbage between frames, the anomalies sniff flags, peer-safety
// findings, and protobuf payloads encoded from examples/*.proto.

import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {encodePacket, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2} from '../../decoders/packet/index.js'
import type {TcpSegment} from '../../decoders/packet/segment.js'
import {encodePcapFile, encodePcapNgFile} from '../../decoders/pcap/index.js'
import {encodeFrame, ERROR_METHOD_NOT_FOUND, ERROR_PARSE_SERVICE_NAME, ERROR_SERVICE_NOT_FOUND, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import type {ProtoSchema} from '../../src/rpc/proto/schema.js'
import {Rng} from '../fuzz/rng.js'
import {Conversation, type Endpoint} from '../sniff/reassembly/builders.js'

export const ORDER_PB = Buffer.from('086412056170706c65', 'hex') // price=100 goods="apple"
export const REPLY_PB = Buffer.from('1a083230323330353134', 'hex') // order_id="20230514"

/** Conversations one after another on one clock, each from its own client port. */
class Timeline {
  private sec = 1_795_490_000
  private nsec = 0
  private nextPort = 50_100
  readonly segments: TcpSegment[] = []

  conversation(server: Endpoint, opts: {client?: string; stepUs?: number} = {}): Conversation {
    const client = {host: opts.client ?? (server.host.includes(':') ? '::1' : '127.0.0.1'), port: this.nextPort++}
    const isn = {client: (this.nextPort * 7919) >>> 0, server: (this.nextPort * 104_729) >>> 0}
    return new Conversation(client, server, isn, {sec: this.sec, nsec: this.nsec}, opts.stepUs ?? 50)
  }

  /** Take a finished conversation's segments; the next one starts 1 ms after its last. */
  add(segs: TcpSegment[]): void {
    this.segments.push(...segs)
    const last = segs.at(-1)!
    const total = last.tsNsec + 1_000_000
    this.sec = last.tsSec + Math.floor(total / 1e9)
    this.nsec = total % 1e9
  }
}

function req(msgId: string, method = 'Order.makeOrder', pbData: Uint8Array = ORDER_PB): Buffer {
  return encodeFrame({msgId, methodName: method, pbData})
}

function rep(msgId: string, extra: Partial<TinyPbMessage> = {}): Buffer {
  return encodeFrame({msgId, methodName: 'Order.makeOrder', pbData: extra.errCode ? Buffer.alloc(0) : REPLY_PB, ...extra})
}

function id(n: number): string {
  return String(20_000_000_000_000_000_000n + BigInt(n))
}

/** Handshake, calls in order (each request then its reply), FINs; cuts per frame. */
function script(conv: Conversation, steps: Array<{from: 'client' | 'server'; bytes: Buffer; cuts?: number[]}>, opts: {close?: boolean} = {}): TcpSegment[] {
  const out = conv.handshake()
  for (const s of steps) {
    out.push(...conv.send(s.from, s.bytes, s.cuts === undefined ? {} : {cuts: s.cuts}), conv.ack(s.from === 'client' ? 'server' : 'client'))
  }
  if (opts.close ?? true) out.push(conv.fin('client'), conv.fin('server'), conv.ack('client'))
  return out
}

function range(from: number, to: number): number[] {
  return Array.from({length: to - from}, (_, i) => from + i)
}

export interface Fixture {
  readonly name: string
  /** Port the server listens on: 12345 and 39999 are in the dissector's port table, others reach it as a heuristic. */
  readonly what: string
  /** Load examples/order.proto and examples/query.proto for payloads. */
  readonly proto?: boolean
  readonly segments: TcpSegment[]
  readonly linkType?: number
  readonly pcapng?: boolean
}

const ROCKET = {host: '127.0.0.1', port: 12_345}
const TINYRPC = {host: '127.0.0.1', port: 39_999}
const OTHER = {host: '127.0.0.1', port: 23_456}

/** Frames cut inside every field, one byte per segment, and just before the end byte. */
function splitFrames(): Fixture {
  const tl = new Timeline()
  for (const server of [ROCKET, OTHER]) {
    const r1 = req(id(1))
    const r2 = req(id(2))
    const r3 = req(id(3), 'Order.makeOrder', Buffer.alloc(300, 0x41))
    const c = tl.conversation(server)
    tl.add(
      script(c, [
        {from: 'client', bytes: r1, cuts: [3]}, // inside pk_len
        {from: 'server', bytes: rep(id(1)), cuts: range(1, 71)}, // a byte per segment
        {from: 'client', bytes: r2, cuts: [5, 9, 15, 29, 33, 48, 52, 56, 60, 69]}, // at and inside each field
        {from: 'server', bytes: rep(id(2)), cuts: [70]}, // the end byte alone
        {from: 'client', bytes: r3, cuts: [100, 200, 300]},
        {from: 'server', bytes: rep(id(3)), cuts: [60]}, // inside pb_data
      ]),
    )
  }
  return {name: 'split-frames', what: 'frames cut at awkward offsets', segments: tl.segments}
}

/** Pipelined requests in one segment; replies packed and straddling segments. */
function severalPerSegment(): Fixture {
  const tl = new Timeline()
  for (const server of [TINYRPC, OTHER]) {
    const c = tl.conversation(server)
    const reqs = Buffer.concat([1, 2, 3, 4].map((n) => req(id(n))))
    const reps = [1, 2, 3, 4].map((n) => rep(id(n)))
    // Reply 1 whole, reply 2 whole, the first 30 bytes of reply 3 | the rest of 3 and all of 4.
    const packed = Buffer.concat(reps)
    tl.add(
      script(c, [
        {from: 'client', bytes: reqs},
        {from: 'server', bytes: packed, cuts: [reps[0].length + reps[1].length + 30]},
        {from: 'client', bytes: Buffer.concat([req(id(5)), req(id(6))]), cuts: [50]},
        {from: 'server', bytes: Buffer.concat([rep(id(5)), rep(id(6))]), cuts: [71 + 70]},
      ]),
    )
  }
  return {name: 'several-per-segment', what: 'several frames per segment', segments: tl.segments}
}

/** Text, stray start bytes and broken frames between good ones; garbage spanning segments. */
function garbage(): Fixture {
  const tl = new Timeline()
  const badEnd = req(id(90))
  badEnd[badEnd.length - 1] = 0x04
  const tooSmall = Buffer.from('02 00000010 00000000'.replace(/ /g, ''), 'hex') // pk_len 16 < 26
  const overrun = req(id(91))
  overrun.writeInt32BE(500, 5) // msg_id_len past pk_len
  const negative = req(id(92))
  negative.writeInt32BE(12, 52) // err_info_len 12: every field fits in pk_len, together they leave pb_data -3 bytes
  for (const server of [ROCKET, OTHER]) {
    const c = tl.conversation(server)
    tl.add(
      script(c, [
        {from: 'client', bytes: req(id(1))},
        {from: 'server', bytes: rep(id(1))},
        {from: 'client', bytes: Buffer.concat([Buffer.from('GARBAGE\r\n'), req(id(2))])},
        {from: 'server', bytes: rep(id(2))},
        {from: 'client', bytes: Buffer.concat([tooSmall, req(id(3))])},
        {from: 'server', bytes: Buffer.concat([rep(id(3)), Buffer.from('trailing noise')])},
        {from: 'client', bytes: Buffer.concat([badEnd, req(id(4))])},
        {from: 'server', bytes: rep(id(4))},
        {from: 'client', bytes: Buffer.concat([overrun, req(id(5))]), cuts: [40]},
        {from: 'server', bytes: rep(id(5))},
        // Garbage across three segments before the next frame: one error, its resync spanning them.
        {from: 'client', bytes: Buffer.concat([Buffer.from('x'.repeat(30)), req(id(6))]), cuts: [10, 20]},
        {from: 'server', bytes: rep(id(6))},
        {from: 'client', bytes: Buffer.concat([negative, req(id(7))])},
        {from: 'server', bytes: rep(id(7))},
      ]),
    )
  }
  return {name: 'garbage', what: 'garbage and broken frames between frames', segments: tl.segments}
}

/** What sniff flags in pairing: error replies, duplicates, orphans, no reply, reused msg_ids. */
function anomalies(): Fixture {
  const tl = new Timeline()
  for (const server of [ROCKET, OTHER]) {
    // tinyrpc's framework errors and an application code.
    tl.add(
      script(tl.conversation(server), [
        {from: 'client', bytes: req(id(1), 'Nope.makeOrder')},
        {from: 'server', bytes: rep(id(1), {methodName: 'Nope.makeOrder', errCode: ERROR_SERVICE_NOT_FOUND, errInfo: 'not found service_name:[Nope]'})},
        {from: 'client', bytes: req(id(2), 'Order.cancel')},
        {from: 'server', bytes: rep(id(2), {methodName: 'Order.cancel', errCode: ERROR_METHOD_NOT_FOUND, errInfo: 'not found method_name:[cancel]'})},
        {from: 'client', bytes: req(id(3), 'makeOrder')},
        {from: 'server', bytes: rep(id(3), {methodName: 'makeOrder', errCode: ERROR_PARSE_SERVICE_NAME, errInfo: 'cannot parse service_name:[makeOrder]'})},
        {from: 'client', bytes: req(id(4))},
        {from: 'server', bytes: rep(id(4), {errCode: 42, errInfo: 'application says no'})},
      ]),
    )
    // rocket on a reused connection: the second reply segment repeats the first reply.
    tl.add(
      script(tl.conversation(server), [
        {from: 'client', bytes: req(id(5))},
        {from: 'server', bytes: rep(id(5))},
        {from: 'client', bytes: req(id(6))},
        {from: 'server', bytes: Buffer.concat([rep(id(5)), rep(id(6))])},
        {from: 'client', bytes: req(id(7))},
        {from: 'server', bytes: Buffer.concat([rep(id(5)), rep(id(6)), rep(id(7))])},
      ]),
    )
    // A reply to nothing, a request never answered, an msg_id reused in flight, rocket's answer to an empty msg_id,
    // a reply naming another method.
    tl.add(
      script(
        tl.conversation(server),
        [
          {from: 'server', bytes: rep(id(8))},
          {from: 'client', bytes: req(id(9))},
          {from: 'client', bytes: req(id(10))},
          {from: 'client', bytes: req(id(10))},
          {from: 'server', bytes: rep(id(10))},
          {from: 'server', bytes: rep(id(10))},
          {from: 'client', bytes: req('')},
          {from: 'server', bytes: rep('123456789')},
          {from: 'client', bytes: req(id(11))},
          {from: 'server', bytes: rep(id(11), {methodName: 'Order.other'})},
          {from: 'client', bytes: req(id(12))},
        ],
        {close: false},
      ),
    )
  }
  return {name: 'anomalies', what: 'error replies, duplicates, orphans, unanswered, reused msg_ids', segments: tl.segments, linkType: LINKTYPE_LINUX_SLL2}
}

/** Frames at and around every limit of the C++ peers. */
function peerSafety(): Fixture {
  const tl = new Timeline()
  const c = tl.conversation(ROCKET)
  const steps: Array<{from: 'client' | 'server'; bytes: Buffer}> = []
  let n = 0
  const call = (r: Buffer, reply?: Buffer) => {
    steps.push({from: 'client', bytes: r})
    if (reply !== undefined) steps.push({from: 'server', bytes: reply})
  }
  for (const len of [49, 50, 99, 100]) {
    const m = 'm'.repeat(len)
    call(req(m), rep(m))
  }
  for (const len of [511, 512]) {
    const method = `Order.${'x'.repeat(len - 6)}`
    call(req(id(++n), method), rep(id(n), {methodName: method}))
  }
  // makeOrderRequest{price: 100, goods: "xx..."} of 66 and 67 bytes: request frames of 127 and 128 bytes.
  for (const goods of [62, 63]) call(req(id(++n), 'Order.makeOrder', Buffer.concat([Buffer.from([0x08, 0x64, 0x12, goods]), Buffer.alloc(goods, 'x')])), rep(id(n)))
  call(req(''), rep('123456789'))
  call(req(id(++n), 'makeOrder'))
  call(req(id(++n), 'shop.Order.makeOrder'))
  call(req(id(++n)), rep(id(n), {errCode: 1, errInfo: 'e'.repeat(512)}))
  tl.add(script(c, steps))
  return {name: 'peer-safety', what: 'frames at the peers\u2019 limits', segments: tl.segments, pcapng: true}
}

/** makeOrder and QueryService calls with payloads encoded from examples/*.proto. */
function payloads(schema: ProtoSchema): Fixture {
  const tl = new Timeline()
  const encode = (method: string, role: 'request' | 'response', json: unknown) => {
    const m = schema.findMethod(method)
    if (!m.ok) throw m.error
    const r = schema.encodeJson(m.value, role, json)
    if (!r.ok) throw r.error
    return r.value.bytes
  }
  const calls: Array<[string, unknown, unknown]> = [
    ['Order.makeOrder', {price: 100, goods: 'apple'}, {ret_code: 0, res_info: '', order_id: '20230514'}],
    ['Order.makeOrder', {price: -7, goods: ''}, {ret_code: -1, res_info: 'short balance', order_id: ''}],
    ['Order.makeOrder', {price: 2_147_483_647, goods: 'pear, "ripe"'}, {ret_code: 0, res_info: 'ok', order_id: '1'}],
    ['QueryService.query_name', {req_no: 1, id: 7, type: 2}, {ret_code: 0, res_info: 'OK', req_no: 1, id: 7, name: 'ikerli'}],
    ['QueryService.query_age', {req_no: 2, id: 8}, {ret_code: 0, res_info: 'OK', req_no: 2, id: 8, age: 100_100_111}],
  ]
  for (const server of [ROCKET, OTHER]) {
    const c = tl.conversation(server)
    let n = 0
    const steps = calls.flatMap(([method, request, response]) => {
      const msgId = id(++n)
      return [
        {from: 'client' as const, bytes: encodeFrame({msgId, methodName: method, pbData: encode(method, 'request', request)})},
        {from: 'server' as const, bytes: encodeFrame({msgId, methodName: method, pbData: encode(method, 'response', response)})},
      ]
    })
    tl.add(script(c, steps))
  }
  return {name: 'payloads', what: 'protobuf payloads from examples/order.proto and query.proto', proto: true, segments: tl.segments}
}

/** Captures that start inside a connection: the first bytes are the tail of a frame. */
function midstream(): Fixture {
  const tl = new Timeline()
  for (const server of [ROCKET, OTHER]) {
    const c = tl.conversation(server)
    c.handshake() // before the capture started: not in the file
    const earlier = req(id(0))
    tl.add([
      ...c.send('client', Buffer.concat([earlier.subarray(30), req(id(1))])),
      ...c.send('server', Buffer.concat([rep(id(0)).subarray(50), rep(id(1))]), {cuts: [30]}),
      ...c.send('client', req(id(2)), {cuts: [10]}),
      ...c.send('server', rep(id(2))),
      c.fin('client'),
      c.fin('server'),
    ])
  }
  // Both ports ephemeral and the first frame a reply: only a later answer tells the server.
  const c = tl.conversation({host: '127.0.0.1', port: 45_000})
  c.handshake()
  tl.add([
    ...c.send('server', rep(id(1))),
    ...c.send('client', req(id(2))),
    ...c.send('server', rep(id(2))),
    ...c.send('client', req(id(3))),
  ])
  return {name: 'midstream', what: 'captures that start inside connections', segments: tl.segments}
}

/** Captures that end inside frames (sniff's TRUNCATED): after other frames in the segment, and alone in one. */
function truncated(): Fixture {
  const tl = new Timeline()
  for (const server of [ROCKET, OTHER]) {
    const c = tl.conversation(server)
    const segs = c.handshake()
    segs.push(...c.send('client', Buffer.concat([req(id(1)), req(id(2)).subarray(0, 40)])), c.ack('server'))
    segs.push(...c.send('server', rep(id(1))), c.ack('client'))
    segs.push(...c.send('server', rep(id(3)).subarray(0, 30)), c.ack('client'))
    tl.add(segs)
  }
  return {name: 'truncated', what: 'captures that end inside frames', segments: tl.segments}
}

/**
 * A seeded random capture: connections where the client speaks first and
 * each direction begins with a frame; then frames, random bytes (with stray
 * start bytes) and frames with a broken end byte or msg_id_len, cut at random
 * offsets. (A broken pk_len that claims more than the rest of the stream, a
 * client frame with err_code set, and a server that speaks first are left
 * out: there the dissector and sniff knowingly differ, see the README.)
 */
export function randomCapture(seed: number): Fixture {
  const rng = new Rng(seed)
  const tl = new Timeline()
  const methods = ['Order.makeOrder', 'A.b', 'x', 'p.S.m']
  for (let k = 0; k < 6; k++) {
    const c = tl.conversation(rng.pick([ROCKET, TINYRPC, OTHER]))
    const segs = c.handshake()
    const ids: string[] = []
    const started = {client: false, server: false}
    for (let i = 0; i < 12; i++) {
      const from = i === 0 || rng.chance(0.5) ? 'client' : 'server'
      const parts: Buffer[] = []
      for (let p = rng.range(1, 3); p > 0; p--) {
        const kind = started[from] ? rng.int(10) : 0
        started[from] = true
        if (kind < 6) {
          const msgId = from === 'client' || ids.length === 0 ? String(rng.int(1000)) : rng.pick(ids)
          if (from === 'client') ids.push(msgId)
          const answer = from === 'server' && rng.chance(0.2)
          parts.push(encodeFrame({msgId, methodName: rng.pick(methods), errCode: answer ? ERROR_SERVICE_NOT_FOUND : 0, errInfo: answer ? 'oops' : '', pbData: Buffer.from(rng.bytes(rng.int(40)))}))
        } else if (kind < 8) {
          const junk = Buffer.from(rng.bytes(rng.range(1, 30)))
          if (rng.chance(0.5)) junk[rng.int(junk.length)] = 0x02
          parts.push(junk)
        } else {
          const f = encodeFrame({msgId: String(rng.int(1000)), methodName: 'A.b', pbData: Buffer.from(rng.bytes(rng.int(20)))})
          f[rng.chance(0.5) ? f.length - 1 : 5 + rng.int(8)] = rng.int(256)
          parts.push(f)
        }
      }
      const bytes = Buffer.concat(parts)
      const cuts = Array.from({length: rng.int(4)}, () => rng.range(1, Math.max(1, bytes.length - 1)))
      segs.push(...c.send(from, bytes, {cuts}), c.ack(from === 'client' ? 'server' : 'client'))
    }
    segs.push(c.fin('client'), c.fin('server'), c.ack('client'))
    tl.add(segs)
  }
  return {name: `random-${seed}`, what: `seeded random traffic and garbage, seed ${seed}`, segments: tl.segments}
}

export function buildFixtures(schema: ProtoSchema): Fixture[] {
  return [splitFrames(), severalPerSegment(), garbage(), anomalies(), peerSafety(), payloads(schema), midstream(), truncated()]
}

/** Write a fixture as pcap (or pcapng) into dir; returns the path. */
export function writeFixture(f: Fixture, dir: string): string {
  const linkType = f.linkType ?? LINKTYPE_ETHERNET
  const packets = f.segments.map((s) => ({tsSec: s.tsSec, tsNsec: s.tsNsec, data: encodePacket({...s, linkType})}))
  const file = join(dir, `${f.name}.${f.pcapng ? 'pcapng' : 'pcap'}`)
  writeFileSync(file, f.pcapng ? encodePcapNgFile({interfaces: [{linkType, tsresol: 9}], packets}) : encodePcapFile({linkType, nanoseconds: true}, packets))
  return file
}
