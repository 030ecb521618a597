import {once} from 'node:events'
import {connect, type Socket} from 'node:net'

import {afterEach, describe, expect, it, vi} from 'vitest'

import {encodeFrame, type TinyPbFrame, TinyPbStreamDecoder} from '../../decoders/tinypb/index.js'
import {type ServeEvent, type ServeOptions, startServer} from '../../src/rpc/index.js'
import {loadSchema} from '../../src/rpc/proto/index.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

const schema = (() => {
  const r = loadSchema({protoFiles: ['examples/order.proto'], importPaths: []})
  if (!r.ok) throw r.error
  return r.value
})()

async function serve(opts: Partial<ServeOptions> = {}) {
  const events: ServeEvent[] = []
  const r = await startServer({schema, onEvent: (e) => events.push(e), ...opts})
  if (!r.ok) throw r.error
  cleanups.push(() => r.value.close(50))
  return {...r.value, events}
}

/** A raw client: write what a test wants, decode what comes back with the stream decoder. */
async function rawClient(port: number) {
  const s: Socket = connect({host: '127.0.0.1', port, allowHalfOpen: true})
  await once(s, 'connect')
  cleanups.push(() => s.destroy())
  const frames: TinyPbFrame[] = []
  const dec = new TinyPbStreamDecoder()
  let pending = Buffer.alloc(0)
  let ended = false
  s.on('data', (d) => {
    pending = Buffer.concat([pending, d])
    const out: Array<TinyPbFrame | {kind: 'error'}> = []
    const at = dec.decode(pending, 0, pending.length, out)
    pending = pending.subarray(at)
    for (const e of out) if (e.kind === 'frame') frames.push(e)
  })
  s.on('end', () => (ended = true))
  return {s, frames, ended: () => ended}
}

const req = (msgId: string, pb = '086412056170706c65', methodName = 'Order.makeOrder') => encodeFrame({msgId, methodName, pbData: Buffer.from(pb, 'hex')})

describe('startServer', () => {
  it('logs garbage, skips it and answers the good frame after it, split at every kind of boundary', async () => {
    const srv = await serve()
    const c = await rawClient(srv.address.port)
    const bytes = Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.from([0x02, 0x7f, 0xff, 0xff, 0xff]), req('after-garbage')])
    for (let i = 0; i < bytes.length; i += 7) c.s.write(bytes.subarray(i, i + 7))
    await vi.waitFor(() => expect(c.frames.map((f) => f.msgId)).toEqual(['after-garbage']))
    const bad = srv.events.filter((e) => e.type === 'malformed')
    expect(bad.length).toBeGreaterThan(0)
    expect(bad.reduce((n, e) => n + (e.type === 'malformed' ? e.skipped : 0), 0)).toBe(23)
    expect(srv.stats.malformed).toBe(bad.length)
  })

  it('answers two requests split into two writes at every byte offset', async () => {
    const srv = await serve()
    const both = Buffer.concat([req('s1', ''), req('s2', '')])
    for (let cut = 1; cut < both.length; cut++) {
      const c = await rawClient(srv.address.port)
      c.s.write(both.subarray(0, cut))
      await new Promise((r) => setImmediate(r))
      c.s.write(both.subarray(cut))
      await vi.waitFor(() => expect(c.frames.map((f) => f.msgId), `cut at ${cut}`).toEqual(['s1', 's2']))
      c.s.destroy()
    }
    expect(srv.stats.malformed).toBe(0)
  })

  it('answers two frames that arrive in one write, in order (rocket drops both)', async () => {
    const srv = await serve()
    const c = await rawClient(srv.address.port)
    c.s.write(Buffer.concat([req('p1'), req('p2')]))
    await vi.waitFor(() => expect(c.frames.map((f) => f.msgId)).toEqual(['p1', 'p2']))
    expect(c.frames.every((f) => f.methodName === 'Order.makeOrder' && f.errCode === 0)).toBe(true)
  })

  it("writes a delayed reply before closing its side after the client's FIN", async () => {
    const srv = await serve({faults: {delayMs: 30}})
    const c = await rawClient(srv.address.port)
    c.s.end(req('d1'))
    await vi.waitFor(() => expect(c.ended()).toBe(true))
    expect(c.frames.map((f) => f.msgId)).toEqual(['d1'])
    expect(srv.events.find((e) => e.type === 'request')).toMatchObject({action: 'reply', delayMs: 30})
  })

  it('drops a request with an empty msg_id, as tinyrpc does, and says so', async () => {
    const srv = await serve()
    const c = await rawClient(srv.address.port)
    c.s.write(Buffer.concat([req(''), req('next')]))
    await vi.waitFor(() => expect(c.frames.map((f) => f.msgId)).toEqual(['next']))
    expect(srv.events.find((e) => e.type === 'request')).toMatchObject({msgId: '', action: 'no-reply', note: 'empty msg_id: dropped, as tinyrpc does'})
  })

  it('answers framework errors with an empty pb_data and logs them', async () => {
    const srv = await serve({logBodies: true})
    const c = await rawClient(srv.address.port)
    c.s.write(Buffer.concat([req('e1', '', 'Order.nope'), req('e2', '0a', 'Order.makeOrder'), req('e3', '', 'nodot')]))
    await vi.waitFor(() => expect(c.frames).toHaveLength(3))
    expect(c.frames.map((f) => [f.msgId, f.errCode, f.errInfo, f.pbDataLen])).toEqual([
      ['e1', 10_000_009, 'not found method_name:[nope]', 0],
      ['e2', 10_000_003, 'faild to parse request data, request.name:[makeOrderRequest] (rpcdiag serve; real tinyrpc sends this with err_code 10000004)', 0],
      ['e3', 10_000_010, 'cannot parse service_name:[nodot]', 0],
    ])
    const logged = srv.events.filter((e) => e.type === 'request').map((e) => e.type === 'request' && e.errName)
    expect(logged).toEqual(['ERROR_METHOD_NOT_FOUND', 'ERROR_FAILED_DESERIALIZE', 'ERROR_PARSE_SERVICE_NAME'])
  })

  it('writes only --close-after-bytes of its replies on a connection, then closes it', async () => {
    const srv = await serve({faults: {closeAfterBytes: 60}})
    const c = await rawClient(srv.address.port)
    c.s.write(Buffer.concat([req('c1'), req('c2')]))
    await vi.waitFor(() => expect(c.ended()).toBe(true))
    // Replies are 43 bytes (msg_id 2, method 15, empty pb_data): reply 1 fits, reply 2 is cut after 17 bytes.
    expect(c.frames.map((f) => f.msgId)).toEqual(['c1'])
    const actions = srv.events.flatMap((e) => (e.type === 'request' ? [e.action] : []))
    expect(actions).toEqual(['reply', 'closed'])
    const cut = srv.events.find((e) => e.type === 'request' && e.action === 'closed')
    expect(cut?.type === 'request' && cut.note).toContain('17 of 43 bytes')
  })

  it('re-sends every earlier reply before the new one with resendReplies, as rocket does', async () => {
    const srv = await serve({faults: {resendReplies: true}})
    const c = await rawClient(srv.address.port)
    for (const id of ['r1', 'r2', 'r3']) {
      c.s.write(req(id))
      await vi.waitFor(() => expect(c.frames.at(-1)?.msgId).toBe(id))
    }
    expect(c.frames.map((f) => f.msgId)).toEqual(['r1', 'r1', 'r2', 'r1', 'r2', 'r3'])
    const notes = srv.events.flatMap((e) => (e.type === 'request' ? [e.note] : []))
    expect(notes).toEqual([undefined, 're-sent 1 earlier reply first (--resend-replies)', 're-sent 2 earlier replies first (--resend-replies)'])
  })

  it('closes gracefully with clients still connected, and reports connects and disconnects', async () => {
    const srv = await serve()
    const c = await rawClient(srv.address.port)
    c.s.write(req('g1'))
    await vi.waitFor(() => expect(c.frames).toHaveLength(1))
    // A client that half-closes when the server does, so the close is orderly.
    c.s.on('end', () => c.s.end())
    await srv.close(1000)
    expect(c.ended()).toBe(true)
    expect(srv.events.map((e) => e.type)).toEqual(['connect', 'request', 'disconnect'])
    expect(srv.stats).toMatchObject({connections: 1, requests: 1, replies: 1, malformed: 0, acceptFailures: 0})
    expect(srv.stats.closedByLimit).toEqual({IDLE_TIMEOUT: 0, FRAME_TIMEOUT: 0, BUFFER_BUDGET: 0})
  })

  it('reports a port in use as a value', async () => {
    const srv = await serve()
    const again = await startServer({schema, port: srv.address.port})
    expect(!again.ok && again.error.code).toBe('LISTEN_FAILED')
  })
})
