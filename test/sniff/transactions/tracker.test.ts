import {describe, expect, it} from 'vitest'

import type {TcpSegment} from '../../../decoders/packet/segment.js'
import {encodeFrame, ERROR_METHOD_NOT_FOUND} from '../../../decoders/tinypb/index.js'
import {type SniffEvent, SniffSession} from '../../../src/sniff/index.js'
import {MAKE_ORDER_REPLY, MAKE_ORDER_REQUEST} from '../../fixtures/tinypb-frames.js'
import {Conversation} from '../reassembly/builders.js'
import {runSession as sniff} from '../run-session.js'


function req(msgId: string, methodName = 'Order.makeOrder', pb = Buffer.from('086412056170706c65', 'hex')): Buffer {
  return encodeFrame({msgId, methodName, pbData: pb})
}

function rep(msgId: string, methodName = 'Order.makeOrder', extra: {errCode?: number; errInfo?: string; pb?: Buffer} = {}): Buffer {
  return encodeFrame({msgId, methodName, errCode: extra.errCode, errInfo: extra.errInfo, pbData: extra.pb ?? Buffer.from('1a083230323330353134', 'hex')})
}

/** rocket's client: connect, one request, the reply, client FIN; the server closes too unless told not to. */
function call(conv: Conversation, request: Buffer, reply: Buffer | undefined, opts: {serverFin?: boolean; requestCuts?: number[]; replyCuts?: number[]} = {}): TcpSegment[] {
  const out = [...conv.handshake(), ...conv.send('client', request, {cuts: opts.requestCuts}), conv.ack('server')]
  if (reply !== undefined) out.push(...conv.send('server', reply, {cuts: opts.replyCuts}), conv.ack('client'))
  out.push(conv.fin('client'))
  if (opts.serverFin ?? true) out.push(conv.fin('server'), conv.ack('client'))
  else out.push(conv.ack('server'))
  return out
}

describe('pairing by msg_id', () => {
  it('pairs the real makeOrder frames and measures last byte to last byte', () => {
    const conv = new Conversation()
    const segs = call(conv, MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY)
    const {of, summary} = sniff(segs)
    const [tx] = of('transaction')
    expect(tx.request.msgId).toBe('20000000000000000001')
    expect(tx.request.method).toBe('Order.makeOrder')
    expect(tx.request.size).toBe(70)
    expect(tx.response.size).toBe(71)
    expect(tx.status).toBe('ok')
    // Request in segment 4 (t = 0.3 ms), reply in segment 6 (t = 0.5 ms): 100 us per segment.
    expect(tx.latencyMs).toBeCloseTo(0.2, 9)
    expect(tx.conn.client).toBe('127.0.0.1:50346')
    expect(tx.conn.server).toBe('127.0.0.1:12346')
    expect(summary).toMatchObject({requests: 1, responses: 1, paired: 1, unanswered: 0, connections: 1, malformedFrames: 0, serverNoFin: 0})
    expect(summary.methods['Order.makeOrder']).toMatchObject({count: 1, answered: 1, errors: 0, p50: 0.2, max: 0.2})
  })

  it('gives the same transaction with request and reply split at every byte', () => {
    for (let cut = 1; cut < MAKE_ORDER_REQUEST.length; cut++) {
      const {of, summary} = sniff(call(new Conversation(), MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY, {requestCuts: [cut], replyCuts: [cut]}))
      expect(summary.paired).toBe(1)
      expect(of('transaction')[0].response.msgId).toBe('20000000000000000001')
      expect(summary.skippedBytes).toBe(0)
    }
  })

  it('decodes one frame sent a byte per segment, and several frames in one segment', () => {
    const conv = new Conversation()
    const r1 = req('1'.repeat(20))
    const r2 = req('2'.repeat(20))
    const both = Buffer.concat([rep('1'.repeat(20)), rep('2'.repeat(20))])
    const segs = [
      ...conv.handshake(),
      ...conv.send('client', r1, {cuts: Array.from({length: r1.length}, (_, i) => i)}),
      ...conv.send('client', r2),
      ...conv.send('server', both),
    ]
    const {of, summary} = sniff(segs)
    expect(of('transaction').map((t) => t.request.msgId)).toEqual(['1'.repeat(20), '2'.repeat(20)])
    expect(summary.paired).toBe(2)
  })

  it('flags a duplicate reply: rocket re-sends earlier replies on a reused connection', () => {
    const conv = new Conversation()
    const segs = [
      ...conv.handshake(),
      ...conv.send('client', req('00000000000000000001')),
      ...conv.send('server', rep('00000000000000000001')),
      ...conv.send('client', req('00000000000000000002')),
      // The second reply segment holds reply 1 again, then reply 2.
      ...conv.send('server', Buffer.concat([rep('00000000000000000001'), rep('00000000000000000002')])),
    ]
    const {of, summary} = sniff(segs)
    expect(of('transaction')).toHaveLength(2)
    const [dup] = of('duplicate-response')
    expect(dup.response.msgId).toBe('00000000000000000001')
    expect(dup.count).toBe(2)
    expect(summary).toMatchObject({requests: 2, responses: 3, paired: 2, duplicateResponses: 1, orphanResponses: 0})
  })

  it('counts a re-sent error reply as a duplicate, not as another error', () => {
    const conv = new Conversation()
    const err = (id: string) => rep(id, 'Order.nope', {errCode: ERROR_METHOD_NOT_FOUND, errInfo: 'not found method_name:[nope]', pb: Buffer.alloc(0)})
    const segs = [
      ...conv.handshake(),
      ...conv.send('client', req('00000000000000000001', 'Order.nope')),
      ...conv.send('server', err('00000000000000000001')),
      ...conv.send('client', req('00000000000000000002', 'Order.nope')),
      ...conv.send('server', Buffer.concat([err('00000000000000000001'), err('00000000000000000002')])),
    ]
    const {summary} = sniff(segs)
    expect(summary).toMatchObject({requests: 2, responses: 3, paired: 2, duplicateResponses: 1, orphanResponses: 0, errorResponses: 2})
    expect(summary.methods['Order.nope']).toMatchObject({count: 2, answered: 2, errors: 2})
  })

  it('counts an error reply to no request as an error of its method', () => {
    const conv = new Conversation()
    const {summary} = sniff([...conv.handshake(), ...conv.send('server', rep('9', 'Order.nope', {errCode: ERROR_METHOD_NOT_FOUND, pb: Buffer.alloc(0)}))])
    expect(summary).toMatchObject({orphanResponses: 1, errorResponses: 1})
    expect(summary.methods['Order.nope']).toMatchObject({count: 0, errors: 1})
  })

  it('flags a reply to no request, saying why it may be', () => {
    const conv = new Conversation()
    const segs = [...conv.handshake(), ...conv.send('server', rep('99'))]
    const {of, summary} = sniff(segs)
    expect(of('orphan-response')[0].note).toMatch(/no request with this msg_id/)
    expect(summary.orphanResponses).toBe(1)
  })

  it('flags a msg_id already in flight and still pairs both in order', () => {
    const conv = new Conversation()
    const segs = [...conv.handshake(), ...conv.send('client', req('7')), ...conv.send('client', req('7')), ...conv.send('server', rep('7')), ...conv.send('server', rep('7'))]
    const {of, summary} = sniff(segs)
    expect(of('warning').map((w) => w.code)).toContain('DUPLICATE_MSG_ID')
    const txs = of('transaction')
    expect(txs).toHaveLength(2)
    expect(txs[0].latencyMs).toBeCloseTo(0.2, 9)
    expect(txs[1].latencyMs).toBeCloseTo(0.2, 9)
    expect(summary.duplicateMsgIds).toBe(1)
  })

  it('pairs a pipelining client\'s many calls in flight, answered in any order, with msg_ids reused among them', () => {
    // 40 msg_ids in flight (past the few a connection finds by a scan), three of them sent twice.
    const ids = Array.from({length: 40}, (_, i) => `id${i}`)
    const sent = [...ids, 'id3', 'id17', 'id39']
    const conv = new Conversation()
    const segs = [...conv.handshake()]
    for (const id of sent) segs.push(...conv.send('client', req(id)))
    // Replies in an order of their own: odd ones first, then the even ones backwards, then the repeats.
    const order = [...ids.filter((_, i) => i % 2 === 1), ...ids.filter((_, i) => i % 2 === 0).reverse(), 'id39', 'id3', 'id17']
    for (const id of order) segs.push(...conv.send('server', rep(id)))
    const {of, summary} = sniff(segs)
    expect(summary.paired).toBe(sent.length)
    expect(summary.unanswered + summary.orphanResponses + summary.duplicateResponses).toBe(0)
    expect(summary.duplicateMsgIds).toBe(3)
    expect(of('transaction').map((t) => t.request.msgId)).toEqual(order)
    // A reused msg_id pairs its replies with its requests in the order they were sent.
    const id3 = of('transaction').filter((t) => t.request.msgId === 'id3')
    expect(id3).toHaveLength(2)
    expect(id3[0].request.t).toBeLessThan(id3[1].request.t)
  })

  it('names a framework error code (tinyrpc answers an unknown method)', () => {
    const conv = new Conversation()
    const reply = rep('5', 'Order.nope', {errCode: ERROR_METHOD_NOT_FOUND, errInfo: 'not found method_name:[nope]', pb: Buffer.alloc(0)})
    const {of, summary} = sniff(call(conv, req('5', 'Order.nope'), reply))
    const [tx] = of('transaction')
    expect(tx.status).toBe('error')
    expect(tx.errName).toBe('ERROR_METHOD_NOT_FOUND')
    expect(tx.response.errInfo).toBe('not found method_name:[nope]')
    expect(summary.errorResponses).toBe(1)
    expect(summary.methods['Order.nope']).toMatchObject({count: 1, errors: 1})
  })

  it('pairs rocket\'s "123456789" reply to an empty msg_id', () => {
    const conv = new Conversation()
    const {of, summary} = sniff([...conv.handshake(), ...conv.send('client', req('')), ...conv.send('server', rep('123456789'))])
    expect(summary.paired).toBe(1)
    expect(of('warning').map((w) => w.code)).toEqual(expect.arrayContaining(['PEER_SAFETY', 'EMPTY_MSG_ID_REPLY']))
  })
})

describe('unanswered requests and their likely causes', () => {
  it('reports a request unanswered at --timeout, with the rocket causes', () => {
    const conv = new Conversation()
    const segs = [...conv.handshake(), ...conv.send('client', req('1'))]
    const events: SniffEvent[] = []
    const session = new SniffSession((e) => events.push(e), {timeoutMs: 1000})
    for (const s of segs) session.push(s)
    session.tick(1_684_032_502, 900e6)
    expect(events.filter((e) => e.type === 'unanswered')).toHaveLength(0)
    session.tick(1_684_032_503, 100e6)
    const un = events.filter((e) => e.type === 'unanswered')
    expect(un).toHaveLength(1)
    expect(un[0]).toMatchObject({reason: 'timeout', request: {msgId: '1'}})
    const codes = un[0].type === 'unanswered' ? un[0].causes.map((c) => c.code) : []
    expect(codes).toEqual(['UNKNOWN_METHOD_OR_PAYLOAD', 'HANDLER_NO_DONE'])
    expect(session.finish()).toMatchObject({requests: 1, unanswered: 1, paired: 0})
  })

  it('names a frame of 128 bytes or more first, and a half-close', () => {
    const conv = new Conversation()
    const big = req('1', 'Order.makeOrder', Buffer.alloc(200, 0x08))
    const segs = [...conv.handshake(), ...conv.send('client', big), conv.fin('client'), conv.ack('server')]
    const [un] = sniff(segs).of('unanswered')
    expect(un.causes.map((c) => c.code)).toEqual(['FRAME_TOO_LARGE', 'HALF_CLOSED', 'UNKNOWN_METHOD_OR_PAYLOAD', 'HANDLER_NO_DONE'])
    expect(un.causes[0].message).toBe(`the request frame is ${big.length} bytes: rocket loses whatever one read() returns when it is 128 bytes or more`)
    expect(un.reason).toBe('end')
  })

  it('names the 128-byte read first for small requests that came in one segment of 128 bytes or more (two 70-byte requests)', () => {
    const conv = new Conversation()
    const two = Buffer.concat([MAKE_ORDER_REQUEST, req('20000000000000000002')])
    expect(two.length).toBe(140)
    const {of} = sniff([...conv.handshake(), ...conv.send('client', two), conv.ack('server')])
    const un = of('unanswered')
    expect(un.map((u) => u.request.size)).toEqual([70, 70])
    for (const u of un) {
      expect(u.causes[0]).toEqual({
        code: 'READ_TOO_LARGE',
        message: 'the TCP segment that carried this 70-byte request held 140 bytes (other frames came with it): rocket loses whatever one read() returns when it is 128 bytes or more, every frame in it',
      })
    }
  })

  it('does not blame the read for two small requests in one segment under 128 bytes (two 63-byte requests: rocket answers both)', () => {
    const conv = new Conversation()
    // 12-digit msg_ids and a 10-byte payload (price 100, goods "apples"): 63 bytes each.
    const small = (id: string) => req(id, 'Order.makeOrder', Buffer.from('086412066170706c6573', 'hex'))
    const two = Buffer.concat([small('200000000001'), small('200000000002')])
    expect(two.length).toBe(126)
    const {of} = sniff([...conv.handshake(), ...conv.send('client', two), conv.ack('server')])
    for (const u of of('unanswered')) expect(u.causes.map((c) => c.code)).toEqual(['UNKNOWN_METHOD_OR_PAYLOAD', 'HANDLER_NO_DONE'])
  })

  it('measures the segment that carried a request however it is split: the largest piece', () => {
    const conv0 = new Conversation()
    const two = Buffer.concat([MAKE_ORDER_REQUEST, req('20000000000000000002')])
    for (let cut = 1; cut < two.length; cut++) {
      const conv = new Conversation(conv0.client, conv0.server)
      const {of} = sniff([...conv.handshake(), ...conv.send('client', two, {cuts: [cut]}), conv.ack('server')])
      const un = of('unanswered')
      expect(un, `cut ${cut}`).toHaveLength(2)
      for (const [i, u] of un.entries()) {
        // The first frame lies in the first piece alone when the cut is at or after its end; the second likewise.
        const pieces = i === 0 ? (cut >= 70 ? [cut] : [cut, 140 - cut]) : cut <= 70 ? [140 - cut] : [cut, 140 - cut]
        const largest = Math.max(...pieces)
        expect(u.causes[0].code === 'READ_TOO_LARGE', `cut ${cut}, request ${i}`).toBe(largest >= 128)
        if (largest >= 128) expect(u.causes[0].message, `cut ${cut}`).toContain(`held ${largest} bytes`)
      }
    }
  })

  it('a client that gives up after waiting is not a half-close, and the server closing in answer to it is not the server walking away', () => {
    const conv = new Conversation()
    const segs = [...conv.handshake(), ...conv.send('client', req('1'))]
    conv.wait(500) // the client's call timeout
    segs.push(conv.fin('client'), conv.fin('server'))
    const {of} = sniff(segs)
    const [un] = of('unanswered')
    expect(un.reason).toBe('closed')
    const codes = un.causes.map((c) => c.code)
    expect(codes).not.toContain('HALF_CLOSED')
    expect(codes).not.toContain('SERVER_CLOSED')
    expect(codes).toContain('HANDLER_NO_DONE')
  })

  it('reports the server closing without an answer', () => {
    const conv = new Conversation()
    const {of} = sniff([...conv.handshake(), ...conv.send('client', req('1')), conv.fin('server')])
    const [un] = of('unanswered')
    expect(un.reason).toBe('closed')
    expect(un.causes[0].code).toBe('SERVER_CLOSED')
  })

  it('pairs a reply that comes after --timeout as late, and fixes the counts', () => {
    const conv = new Conversation()
    const events: SniffEvent[] = []
    const session = new SniffSession((e) => events.push(e), {timeoutMs: 1000, connections: true})
    for (const s of [...conv.handshake(), ...conv.send('client', req('1'))]) session.push(s)
    conv.wait(2000)
    for (const s of conv.send('server', rep('1'))) session.push(s)
    const summary = session.finish()
    expect(events.map((e) => e.type)).toEqual(['connection', 'unanswered', 'transaction', 'connection'])
    expect(events[2]).toMatchObject({type: 'transaction', late: true})
    expect(summary).toMatchObject({requests: 1, paired: 1, unanswered: 0})
    expect(summary.methods['Order.makeOrder'].unanswered).toBe(0)
  })
})

describe('connections', () => {
  /** A call the server never closes, then the client's keepalive ACKs every 400 ms for `ms` (the server stays silent). */
  function leftOpen(conv: Conversation, ms: number): TcpSegment[] {
    const segs = call(conv, MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY, {serverFin: false})
    for (let waited = 0; waited < ms; waited += 400) {
      conv.wait(Math.min(400, ms - waited))
      segs.push(conv.ack('client'))
    }
    return segs
  }

  it('flags a server that never sends FIN after the client FIN, once it stayed silent the half-close timeout', () => {
    const {of, summary} = sniff(leftOpen(new Conversation(), 1200), {timeoutMs: 1000})
    const w = of('warning')
    expect(w.map((e) => e.code)).toEqual(['SERVER_NO_FIN'])
    expect(w[0].message).toMatch(/\(1\.200 s, until the capture ended\)/)
    expect(summary.serverNoFin).toBe(1)
    expect(summary.paired).toBe(1)
  })

  it('does not blame a server whose capture ended sooner after the client FIN than the half-close timeout', () => {
    // A capture stopped by -c or Ctrl-C right after the FIN: the server may close a moment later (tinyrpc does).
    expect(sniff(call(new Conversation(), MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY, {serverFin: false})).summary.serverNoFin).toBe(0)
    const {of, summary} = sniff(leftOpen(new Conversation(), 900), {timeoutMs: 1000})
    expect(of('warning')).toEqual([])
    expect(summary).toMatchObject({serverNoFin: 0, paired: 1})
  })

  it('flags the server in a live capture when the half-close timeout closes the connection', () => {
    const conv = new Conversation()
    const events: SniffEvent[] = []
    const session = new SniffSession((e) => events.push(e), {timeoutMs: 1000})
    for (const s of call(conv, MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY, {serverFin: false})) session.push(s)
    // The clock ticks with no packet: the reassembler gives up on the half-closed connection.
    session.tick(1_684_032_505)
    expect(events.filter((e) => e.type === 'warning').map((e) => e.message)).toEqual([expect.stringMatching(/until given up on\)/)])
    expect(session.finish().serverNoFin).toBe(1)
  })

  it('decides the server side from who answers whom when nothing else tells', () => {
    // Mid-stream, no --port, and ports that would mislead a guess: the "server" has an ephemeral port.
    const conv = new Conversation({host: '10.0.0.1', port: 8080}, {host: '10.0.0.2', port: 40_000})
    conv.handshake()
    const segs = [...conv.send('server', rep('0')), ...conv.send('client', req('1')), ...conv.send('server', rep('1'))]
    const {of, summary} = sniff(segs)
    const [tx] = of('transaction')
    expect(tx.conn).toMatchObject({client: '10.0.0.1:8080', server: '10.0.0.2:40000', serverBy: 'answer', midstream: true})
    expect(summary.orphanResponses).toBe(1)
    expect(of('orphan-response')[0].note).toMatch(/capture started after the connection/)
  })

  it('keeps going after a malformed frame and garbage between frames', () => {
    const conv = new Conversation()
    const bad = Buffer.from(req('2'))
    bad[bad.length - 1] = 0x00
    const stream = Buffer.concat([req('1'), Buffer.from('garbage'), bad, req('3')])
    const segs = [...conv.handshake(), ...conv.send('client', stream), ...conv.send('server', Buffer.concat([rep('1'), rep('3')]))]
    const {of, summary} = sniff(segs)
    expect(of('malformed').map((m) => m.code)).toEqual(['BAD_START', 'BAD_END'])
    expect(summary).toMatchObject({paired: 2, malformedFrames: 1})
    expect(summary.skippedBytes).toBe(7 + bad.length)
  })

  it('reports a call whose reply segment the capture lost as uncertain, not unanswered, and resyncs on the next frame', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const r1 = conv.send('client', req('1'))
    const lost = conv.send('server', rep('1'), {cuts: [30]})
    const r2 = conv.send('client', req('2'))
    const a2 = conv.send('server', rep('2'))
    const {of, summary} = sniff([...hs, ...r1, lost[0], ...r2, ...a2, conv.ack('client')])
    const [gap] = of('gap')
    expect(gap).toMatchObject({from: 'server', missing: rep('1').length - 30, dropped: 30, cause: 'lost'})
    expect(summary).toMatchObject({requests: 2, paired: 1, unanswered: 0, uncertain: 1, uncertainBy: {gap: 1, truncated: 0, drop: 0, conflict: 0}, gaps: 1})
    expect(of('unanswered')).toEqual([])
    const [u] = of('uncertain')
    expect(u).toMatchObject({reason: 'gap', request: {msgId: '1'}, waitEnded: 'end'})
    expect(u.note).toMatch(/^no reply seen, but the capture lost bytes the server sent while the request waited/)
    expect(summary.methods['Order.makeOrder']).toMatchObject({count: 2, answered: 1, unanswered: 0, uncertain: 1})
    expect(of('transaction')[0].request.msgId).toBe('2')
  })

  it('reads the string protocol as chunks when auto-detected', () => {
    const conv = new Conversation()
    const segs = [...conv.handshake(), ...conv.send('client', Buffer.from('hello')), ...conv.send('server', Buffer.from('hello'))]
    const {of, summary} = sniff(segs)
    expect(of('chunk').map((c) => `${c.from}:${c.bytes.toString()}`)).toEqual(['client:hello', 'server:hello'])
    expect(summary).toMatchObject({chunks: 2, requests: 0})
  })

  it('reports peer-safety findings once per method and counts them all', () => {
    const conv = new Conversation()
    const long = 'x'.repeat(120)
    const segs = [...conv.handshake(), ...conv.send('client', req(long + '1')), ...conv.send('client', req(long + '2'))]
    const {of, summary} = sniff(segs)
    const w = of('warning').filter((e) => e.code === 'PEER_SAFETY')
    expect(w.map((e) => e.finding?.code)).toEqual(['MSG_ID_TOO_LONG', 'FRAME_DROPPED_BY_ROCKET'])
    expect(summary.peerSafetyFindings).toBe(4)
    expect(of('unanswered')[0].causes.map((c) => c.code)).toEqual(expect.arrayContaining(['MSG_ID_TOO_LONG', 'FRAME_TOO_LARGE']))
  })
})
