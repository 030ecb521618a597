import {describe, expect, it} from 'vitest'

import type {TcpSegment} from '../../decoders/packet/segment.js'
import {encodeFrame} from '../../decoders/tinypb/index.js'
import {singlePort} from '../../src/net/index.js'
import {RawPayloadDecoder, SchemaPayloadDecoder, type SniffEvent, SniffSession} from '../../src/sniff/index.js'
import {loadSchema} from '../../src/rpc/proto/index.js'
import {MAKE_ORDER_REPLY, MAKE_ORDER_REQUEST} from '../fixtures/tinypb-frames.js'
import {Conversation} from './reassembly/builders.js'
import {runSession as run} from './run-session.js'


const schema = (() => {
  const r = loadSchema({protoFiles: ['examples/order.proto'], importPaths: []})
  if (!r.ok) throw r.error
  return r.value
})()

function exchange(conv: Conversation, request: Buffer, reply: Buffer): TcpSegment[] {
  return [...conv.handshake(), ...conv.send('client', request), ...conv.send('server', reply), conv.fin('client'), conv.fin('server')]
}

describe('events are copies', () => {
  it('keeps every event intact when the capture reuses its packet memory (as a live capture does)', () => {
    const conv = new Conversation()
    const segs = exchange(conv, MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY)
    const events: SniffEvent[] = []
    const session = new SniffSession((e) => events.push(e), {payloads: new RawPayloadDecoder(), hex: true})
    // One buffer for every packet, overwritten after each: what libpcap through cap does.
    const shared = Buffer.alloc(2048)
    for (const s of segs) {
      shared.set(s.payload)
      session.push({...s, payload: shared.subarray(0, s.payload.length)})
      shared.fill(0xee)
    }
    session.finish()
    const tx = events.find((e) => e.type === 'transaction')
    expect(tx).toMatchObject({request: {msgId: '20000000000000000001', method: 'Order.makeOrder'}, response: {size: 71}})
    if (tx?.type !== 'transaction') throw new Error('no transaction')
    expect(tx.request.bytes).toEqual(MAKE_ORDER_REQUEST)
    expect(tx.response.bytes).toEqual(MAKE_ORDER_REPLY)
    expect(tx.response.payload).toMatchObject({ok: true, schema: 'raw', lines: ['3: "20230514"']})
  })

  it('keeps a frame split across reused packet memory', () => {
    const conv = new Conversation()
    const segs = [...conv.handshake(), ...conv.send('client', MAKE_ORDER_REQUEST, {cuts: [10, 40]}), ...conv.send('server', MAKE_ORDER_REPLY, {cuts: [35]})]
    const events: SniffEvent[] = []
    const session = new SniffSession((e) => events.push(e))
    const shared = Buffer.alloc(2048)
    for (const s of segs) {
      shared.set(s.payload)
      session.push({...s, payload: shared.subarray(0, s.payload.length)})
      shared.fill(0x02)
    }
    expect(session.finish()).toMatchObject({paired: 1, malformedFrames: 0, skippedBytes: 0})
  })
})

describe('payloads', () => {
  it('decodes pb_data with the .proto types, defaults shown', () => {
    const {of, summary} = run(exchange(new Conversation(), MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY), {payloads: new SchemaPayloadDecoder(schema)})
    const [tx] = of('transaction')
    expect(tx.request.payload).toEqual({ok: true, schema: 'proto', type: 'makeOrderRequest', json: {price: 100, goods: 'apple'}, unknownFields: 0})
    expect(tx.response.payload).toMatchObject({ok: true, json: {ret_code: 0, res_info: '', order_id: '20230514'}})
    expect(summary.payloadErrors).toBe(0)
  })

  it('flags a payload that does not parse as its type, and goes on', () => {
    const bad = encodeFrame({msgId: '1', methodName: 'Order.makeOrder', pbData: Buffer.from([0x0a, 0x05, 0x01])})
    const reply = encodeFrame({msgId: '1', methodName: 'Order.makeOrder', pbData: Buffer.alloc(0)})
    const {of, summary} = run(exchange(new Conversation(), bad, reply), {payloads: new SchemaPayloadDecoder(schema)})
    expect(of('warning').map((w) => w.code)).toEqual(['PAYLOAD'])
    expect(of('transaction')[0].request.payload).toMatchObject({ok: false, code: 'PB_DECODE'})
    expect(summary).toMatchObject({paired: 1, payloadErrors: 1})
  })

  it('names a method the .proto lacks among the causes of its silence', () => {
    const conv = new Conversation()
    const req = encodeFrame({msgId: '1', methodName: 'Order.cancel', pbData: Buffer.alloc(0)})
    const {of} = run([...conv.handshake(), ...conv.send('client', req)], {payloads: new SchemaPayloadDecoder(schema)})
    const [un] = of('unanswered')
    expect(un.causes.map((c) => c.code)).toEqual(['UNKNOWN_METHOD', 'HANDLER_NO_DONE'])
    expect(un.request.payload).toMatchObject({ok: false, code: 'UNKNOWN_METHOD'})
  })
})

describe('protocols', () => {
  it('auto-detects TinyPB from the first bytes, whichever side speaks first', () => {
    const conv = new Conversation()
    conv.handshake()
    // Mid-stream, the server speaks first, and the first bytes are the tail of a frame.
    const segs = [...conv.send('server', MAKE_ORDER_REPLY.subarray(40)), ...conv.send('client', MAKE_ORDER_REQUEST), ...conv.send('server', MAKE_ORDER_REPLY)]
    const {of, summary} = run(segs, {serverPorts: [singlePort(12_346)]})
    expect(summary.paired).toBe(1)
    expect(of('warning').map((w) => w.code)).toEqual(['RESYNC'])
    expect(of('warning')[0].message).toMatch(/skipped 31 bytes .*mid-connection/)
    expect(summary.malformedFrames).toBe(0)
  })

  it('treats everything as TinyPB with --protocol tinypb: text is garbage then', () => {
    const conv = new Conversation()
    const {of, summary} = run([...conv.handshake(), ...conv.send('client', Buffer.from('hello\n'))], {protocol: 'tinypb'})
    expect(of('malformed').map((m) => m.code)).toEqual(['BAD_START'])
    expect(summary.skippedBytes).toBe(6)
  })

  it('shows TinyPB bytes as chunks with --protocol string', () => {
    const {of, summary} = run(exchange(new Conversation(), MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY), {protocol: 'string'})
    expect(of('chunk').map((c) => [c.from, c.bytes.length])).toEqual([
      ['client', 70],
      ['server', 71],
    ])
    expect(summary).toMatchObject({chunks: 2, requests: 0})
  })

  it('takes a frame too large for --buffer-limit for TinyPB, not text: reported and skipped, not shown as chunks', () => {
    const conv = new Conversation()
    // What the soak's hostile clients send: a consistent header claiming 60 MiB, then its body.
    const f = encodeFrame({msgId: '66666666666666666666', methodName: 'Order.makeOrder', pbData: Buffer.alloc(0)})
    const header = Buffer.from(f.subarray(0, f.length - 5))
    header.writeInt32BE(60 * 1024 * 1024, 1)
    const segs = [...conv.handshake(), ...conv.send('client', Buffer.concat([header, Buffer.alloc(256 * 1024, 0x41)]), {mss: 65_483}), conv.rst('client')]
    const {of, summary} = run(segs, {bufferLimit: 1 << 20})
    expect(of('chunk')).toEqual([])
    expect(of('malformed').map((m) => m.code)).toEqual(['PK_LEN_TOO_LARGE'])
    expect(summary.skippedBytes).toBe(header.length + 256 * 1024)
  })

  it('decides from bytes at any place in the capture memory, split at every byte, and keeps nothing of that memory', () => {
    // Each packet's payload 17 bytes into one buffer that is overwritten after it: how a live capture hands them over.
    const through = (segs: TcpSegment[]) => {
      const events: SniffEvent[] = []
      const session = new SniffSession((e) => events.push(e))
      const shared = Buffer.alloc(4096)
      for (const s of segs) {
        shared.set(s.payload, 17)
        session.push({...s, payload: shared.subarray(17, 17 + s.payload.length)})
        shared.fill(0xee)
      }
      return {events, summary: session.finish()}
    }
    const text = Buffer.from('GET /status\n')
    for (let cut = 1; cut < MAKE_ORDER_REQUEST.length; cut++) {
      const conv = new Conversation()
      const {events, summary} = through([...conv.handshake(), ...conv.send('client', MAKE_ORDER_REQUEST, {cuts: [cut]}), ...conv.send('server', MAKE_ORDER_REPLY), conv.fin('client'), conv.fin('server')])
      expect(summary).toMatchObject({paired: 1, malformedFrames: 0, skippedBytes: 0, chunks: 0})
      const tx = events.find((e) => e.type === 'transaction')
      expect(tx?.type === 'transaction' && tx.request.msgId).toBe('20000000000000000001')
    }
    for (let cut = 1; cut < text.length; cut++) {
      const conv = new Conversation()
      const {events} = through([...conv.handshake(), ...conv.send('client', text, {cuts: [cut]}), ...conv.send('server', Buffer.from('ok\n')), conv.fin('client'), conv.fin('server')])
      const chunks = events.flatMap((e) => (e.type === 'chunk' ? [`${e.from}:${e.bytes.toString()}`] : []))
      expect(chunks).toEqual([`client:${text.subarray(0, cut).toString()}`, `client:${text.subarray(cut).toString()}`, 'server:ok\n'])
    }
  })

  it('decides a short text exchange at the FIN when the first bytes cannot tell', () => {
    const conv = new Conversation()
    conv.handshake()
    // Mid-stream text with no frame start: undecided until the connection ends.
    const segs = [...conv.send('client', Buffer.from('ping')), ...conv.send('server', Buffer.from('pong')), conv.fin('client'), conv.fin('server')]
    const {of} = run(segs)
    expect(of('chunk').map((c) => c.bytes.toString())).toEqual(['ping', 'pong'])
  })
})

describe('limits', () => {
  it('reports the per-connection buffer limit and resyncs after the hole', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const frames = Array.from({length: 8}, (_, i) => encodeFrame({msgId: String(i), methodName: 'Order.makeOrder', pbData: Buffer.alloc(0)}))
    const segs = frames.flatMap((f) => conv.send('client', f))
    // The first segment is lost: everything after it is held until the limit.
    const {of, summary} = run([...hs, ...segs.slice(1)], {bufferLimit: 100})
    expect(of('warning').map((w) => w.code)).toContain('BUFFER_LIMIT')
    expect(of('gap')[0]).toMatchObject({from: 'client', missing: frames[0].length})
    expect(summary.requests).toBe(7)
    expect(summary.limitHits).toBeGreaterThan(0)
  })

  it('rejects a frame larger than the limit instead of buffering it', () => {
    const conv = new Conversation()
    const huge = Buffer.alloc(64)
    huge[0] = 0x02
    huge.writeInt32BE(10_000_000, 1)
    const {of} = run([...conv.handshake(), ...conv.send('client', Buffer.concat([huge, MAKE_ORDER_REQUEST]))], {bufferLimit: 1 << 20, protocol: 'tinypb'})
    expect(of('malformed')[0]).toMatchObject({code: 'PK_LEN_TOO_LARGE', skipped: 64})
    expect(of('unanswered')[0].request.msgId).toBe('20000000000000000001')
  })
})

describe('ports reused after a stale server socket', () => {
  it('pairs the call of the retried connection, its request and reply split at every byte', () => {
    for (let cut = 1; cut < MAKE_ORDER_REQUEST.length; cut++) {
      // rocket's first connection, left in CLOSE_WAIT: request, reply, the client's FIN.
      const old = new Conversation()
      const first = [...old.handshake(), ...old.send('client', MAKE_ORDER_REQUEST), ...old.send('server', MAKE_ORDER_REPLY), old.fin('client'), old.ack('server')]
      old.wait(1100)
      const next = new Conversation(old.client, old.server, {client: (old.next.client + 65_537) >>> 0, server: 77}, old.stamp)
      const [syn, synAck, ack] = next.handshake()
      const retry = [syn, ...next.challenge(old), next.synAgain(), synAck, ack]
      const call = [...next.send('client', MAKE_ORDER_REQUEST, {cuts: [cut]}), ...next.send('server', MAKE_ORDER_REPLY, {cuts: [cut]})]
      const {summary, of} = run([...first, ...retry, ...call], {timeoutMs: 500})
      expect(summary, `cut ${cut}`).toMatchObject({requests: 2, paired: 2, connections: 2, staleSockets: 1, uncertain: 0, gaps: 0})
      expect(of('stale-socket'), `cut ${cut}`).toHaveLength(1)
      expect(summary.decodedBytes, `cut ${cut}`).toBe(summary.bytes)
    }
  })
})

describe('connection events (-v, and the report’s ladders)', () => {
  it('tells each side’s FIN apart, in time order, before the close', () => {
    const conv = new Conversation()
    const {events} = run(exchange(conv, MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY), {connections: true})
    const conn = events.filter((e) => e.type === 'connection').map((e) => (e.state === 'fin' ? `fin:${e.from}` : e.state))
    expect(conn).toEqual(['open', 'fin:client', 'fin:server', 'close'])
  })

  it('names the side that sent the RST', () => {
    for (const from of ['client', 'server'] as const) {
      const conv = new Conversation()
      const segs = [...conv.handshake(), ...conv.send('client', MAKE_ORDER_REQUEST), conv.rst(from)]
      const {events} = run(segs, {connections: true})
      const close = events.find((e) => e.type === 'connection' && e.state === 'close')
      expect(close).toMatchObject({reason: 'rst', resetBy: from})
      expect(events.some((e) => e.type === 'connection' && e.state === 'fin')).toBe(false)
    }
  })

  it('says nothing of connections without the option', () => {
    const {events} = run(exchange(new Conversation(), MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY))
    expect(events.some((e) => e.type === 'connection')).toBe(false)
  })
})
