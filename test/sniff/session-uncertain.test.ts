// Calls the capture cannot tell: bytes lost, cut by the snap length, dropped,
// or seen twice with different data are reported `uncertain` with the reason,
// never as UNANSWERED or as a reply without request.
import {describe, expect, it} from 'vitest'

import {encodeFrame} from '../../decoders/tinypb/index.js'
import {type SniffEvent, SniffSession} from '../../src/sniff/index.js'
import {MAKE_ORDER_REPLY, MAKE_ORDER_REQUEST} from '../fixtures/tinypb-frames.js'
import {Conversation, segment} from './reassembly/builders.js'
import {runSession as sniff} from './run-session.js'


function rep(msgId: string): Buffer {
  return encodeFrame({msgId, methodName: 'Order.makeOrder', pbData: Buffer.from('1a083230323330353134', 'hex')})
}

/** Offsets in MAKE_ORDER_REQUEST: msg_id at 9..29, method_name "Order.makeOrder" at 33..48. */
const METHOD_AT = 33

describe('bytes seen twice with different data', () => {
  it('makes the call uncertain when a partial overlap changes the method name (it once decoded as a corrupted name)', () => {
    for (const order of ['held first', 'in order'] as const) {
      const conv = new Conversation()
      const hs = conv.handshake()
      const [s1, s2] = conv.send('client', MAKE_ORDER_REQUEST, {cuts: [30]})
      // A copy of bytes 0..40 whose bytes 30..40 (the method name's first letters) differ.
      const bogus = Buffer.from(MAKE_ORDER_REQUEST.subarray(0, 40))
      bogus.write('XXXXXXX', METHOD_AT, 'latin1')
      const overlap = segment({...s1, payload: bogus})
      const client = order === 'held first' ? [s2, overlap] : [s1, overlap, s2]
      const {of, summary} = sniff([...hs, ...client, conv.ack('server'), ...conv.send('server', MAKE_ORDER_REPLY)])
      expect(summary, order).toMatchObject({requests: 1, responses: 1, paired: 0, uncertain: 1, uncertainBy: {conflict: 1}, retransmissionConflicts: 1})
      const [u] = of('uncertain')
      expect(u, order).toMatchObject({reason: 'conflict', request: {msgId: '20000000000000000001'}, response: {msgId: '20000000000000000001'}})
      expect(u.latencyMs, order).toBeGreaterThan(0)
      expect(of('transaction'), order).toEqual([])
      const [w] = of('warning').filter((x) => x.code === 'RETRANSMISSION_CONFLICT')
      // "Ord..." first when the right copy was captured first, "XXX..." when the wrong one was.
      const first = order === 'held first' ? '4f7264' : '585858'
      expect(w.message, order).toMatch(new RegExp(`^retransmission with different data: the client sent stream bytes from offset 33 \\(seq \\d+\\) again, and 7 of them differ: first ${first}`))
    }
  })

  it('makes a request waiting for its reply uncertain when its bytes come again, different', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [req] = conv.send('client', MAKE_ORDER_REQUEST)
    const forged = Buffer.from(MAKE_ORDER_REQUEST)
    forged[60] ^= 1
    const {of, summary} = sniff([...hs, req, {...req, payload: forged}, conv.ack('server')])
    expect(summary).toMatchObject({unanswered: 0, uncertain: 1, uncertainBy: {conflict: 1}})
    expect(of('uncertain')[0]).toMatchObject({reason: 'conflict', request: {msgId: '20000000000000000001'}, waitEnded: 'end'})
    // The frame was decoded already: the warning names it.
    expect(of('warning').find((w) => w.code === 'RETRANSMISSION_CONFLICT')).toMatchObject({msgId: '20000000000000000001', method: 'Order.makeOrder'})
    expect(of('unanswered')).toEqual([])
  })

  it('counts every conflict, shows the first, and leaves a call already answered as it was reported', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [req] = conv.send('client', MAKE_ORDER_REQUEST)
    const [reply] = conv.send('server', MAKE_ORDER_REPLY)
    const twice = (b: Buffer, at: number) => {
      const c = Buffer.from(b)
      c[at] ^= 1
      return c
    }
    // Two more copies of the reply, each different, before the client acknowledged it.
    const {of, summary} = sniff([...hs, req, reply, {...reply, payload: twice(MAKE_ORDER_REPLY, 60)}, {...reply, payload: twice(MAKE_ORDER_REPLY, 61)}])
    expect(summary).toMatchObject({paired: 1, uncertain: 0, retransmissionConflicts: 2})
    expect(of('warning').filter((w) => w.code === 'RETRANSMISSION_CONFLICT')).toHaveLength(1)
    expect(of('transaction')).toHaveLength(1)
  })
})

describe('bytes the capture lost', () => {
  it('reports a reply whose request the capture lost as uncertain, not as a reply without request', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    conv.send('client', MAKE_ORDER_REQUEST) // never captured
    const {of, summary} = sniff([...hs, ...conv.send('server', MAKE_ORDER_REPLY), conv.ack('client')])
    expect(summary).toMatchObject({responses: 1, orphanResponses: 0, uncertain: 1, uncertainBy: {gap: 1}, gaps: 1})
    expect(of('uncertain')[0]).toMatchObject({reason: 'gap', response: {msgId: '20000000000000000001'}})
    expect(of('uncertain')[0].note).toMatch(/^a reply with no request seen, but the capture lost bytes the client sent before it/)
    expect(of('orphan-response')).toEqual([])
  })

  it('still calls a reply without request one when the only gap is older than --timeout', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [lost, kept] = conv.send('client', Buffer.concat([MAKE_ORDER_REQUEST, MAKE_ORDER_REQUEST]), {cuts: [70]})
    const early = [...hs, kept, ...conv.send('server', MAKE_ORDER_REPLY)]
    conv.wait(2000)
    const {summary} = sniff([...early, ...conv.send('server', rep('99999999999999999999'))], {timeoutMs: 1000})
    expect(lost.payload.length).toBe(70)
    expect(summary).toMatchObject({gaps: 1, paired: 1, orphanResponses: 1, uncertain: 0})
  })

  it('reports the cut of a truncated request packet: the reply is uncertain (truncated)', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [req] = conv.send('client', MAKE_ORDER_REQUEST)
    const cut = {...req, payload: req.payload.subarray(0, 40), wireLength: req.payload.length}
    const {of, summary} = sniff([...hs, cut, ...conv.send('server', MAKE_ORDER_REPLY)])
    expect(of('gap')[0]).toMatchObject({from: 'client', cause: 'truncated', missing: 30, dropped: 40})
    expect(summary).toMatchObject({truncatedSegments: 1, requests: 0, uncertain: 1, uncertainBy: {truncated: 1}, orphanResponses: 0})
  })

  it('reports a request whose reply packet was truncated as uncertain (truncated)', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [req] = conv.send('client', MAKE_ORDER_REQUEST)
    const [reply] = conv.send('server', MAKE_ORDER_REPLY)
    const {of, summary} = sniff([...hs, req, {...reply, payload: reply.payload.subarray(0, 20), wireLength: reply.payload.length}])
    expect(summary).toMatchObject({requests: 1, unanswered: 0, uncertain: 1, uncertainBy: {truncated: 1}, truncatedSegments: 1})
    expect(of('uncertain')[0].note).toMatch(/snap length/)
  })
})

describe('packets the capture dropped', () => {
  it('makes a request waiting when the capture reports drops uncertain', () => {
    const conv = new Conversation()
    const segs = [...conv.handshake(), ...conv.send('client', MAKE_ORDER_REQUEST), conv.ack('server')]
    const {of, summary} = sniff(segs, {}, (s, i) => (i === segs.length - 1 ? s.drops(2) : undefined))
    expect(summary).toMatchObject({unanswered: 0, uncertain: 1, uncertainBy: {drop: 1}})
    expect(of('uncertain')[0].note).toMatch(/packets were dropped while the request waited/)
  })

  it('counts drops the source reports only at the end (a file whose statistics come last)', () => {
    const conv = new Conversation()
    const events: SniffEvent[] = []
    const session = new SniffSession((e) => events.push(e))
    for (const s of [...conv.handshake(), ...conv.send('client', MAKE_ORDER_REQUEST)]) session.push(s)
    expect(session.finish({drops: 0, queueDrops: 1})).toMatchObject({uncertain: 1, uncertainBy: {drop: 1}})
  })

  it('makes a reply with no request soon after drops uncertain, and leaves calls before the drops alone', () => {
    const conv = new Conversation()
    const before = [...conv.handshake(), ...conv.send('client', MAKE_ORDER_REQUEST), ...conv.send('server', MAKE_ORDER_REPLY)]
    const after = conv.send('server', rep('00000000000000000042'))
    const {summary} = sniff([...before, ...after], {}, (s, i) => (i === before.length - 1 ? s.drops(1) : undefined))
    expect(summary).toMatchObject({paired: 1, orphanResponses: 0, uncertain: 1, uncertainBy: {drop: 1}})
  })

  it('does not count the same drops twice', () => {
    const conv = new Conversation()
    const segs = [...conv.handshake(), ...conv.send('client', MAKE_ORDER_REQUEST), ...conv.send('server', MAKE_ORDER_REPLY), ...conv.send('client', MAKE_ORDER_REQUEST)]
    // Drops known early, then the same total again while the second request waits: nothing new was dropped.
    const {summary} = sniff(segs, {}, (s, i) => s.drops(i < 4 ? 0 : 3))
    expect(summary).toMatchObject({paired: 1, unanswered: 1, uncertain: 0})
  })
})

describe('connections whose server side is known only later', () => {
  it('counts a gap from the server that came while its requests waited to be told apart from replies', () => {
    // Mid-stream, no --port, ports that do not tell: the side that answers is the server, decided at its first reply.
    const conv = new Conversation({host: '10.0.0.1', port: 50_000}, {host: '10.0.0.2', port: 40_000})
    conv.handshake()
    const [r1] = conv.send('client', MAKE_ORDER_REQUEST)
    const [, lostTail] = conv.send('server', MAKE_ORDER_REPLY, {cuts: [20]})
    const reply2 = rep('20000000000000000002')
    const req2 = encodeFrame({msgId: '20000000000000000002', methodName: 'Order.makeOrder', pbData: Buffer.from('086412056170706c65', 'hex')})
    const [r2] = conv.send('client', req2)
    const [a2] = conv.send('server', reply2)
    // The server's first segment (20 bytes of reply 1) is lost; its tail and reply 2 arrive.
    const {of, summary} = sniff([r1, lostTail, r2, a2, conv.ack('client')])
    expect(summary).toMatchObject({requests: 2, paired: 1, unanswered: 0, uncertain: 1})
    expect(of('uncertain')[0]).toMatchObject({reason: 'gap', request: {msgId: '20000000000000000001'}})
  })
})
