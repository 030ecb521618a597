import {afterEach, describe, expect, it} from 'vitest'

import {encodeFrame, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {TcpServer, TinyPbCoder} from '../../src/net/index.js'

import {type LoadOptions, prepareCall, RpcChannel, runLoad, type ServeOptions, startServer} from '../../src/rpc/index.js'
import {loadSchema} from '../../src/rpc/proto/index.js'
import {rocketLikeServer} from './helpers/rocket-like-server.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

const schema = (() => {
  const r = loadSchema({protoFiles: ['examples/order.proto'], importPaths: []})
  if (!r.ok) throw r.error
  return r.value
})()

function prepared(msgId?: string) {
  const p = prepareCall({method: 'Order.makeOrder', schema, body: {kind: 'json', value: {price: 100, goods: 'apple'}}, msgId})
  if (!p.ok) throw p.error
  return p.value
}

async function serve(opts: Partial<ServeOptions> = {}) {
  const r = await startServer({schema, ...opts})
  if (!r.ok) throw r.error
  cleanups.push(() => r.value.close(50))
  return r.value
}

async function load(opts: Partial<LoadOptions> & Pick<LoadOptions, 'addr'>) {
  const r = await runLoad({prepared: prepared(), repeat: 40, concurrency: 4, ...opts})
  if (!r.ok) throw r.error
  return r.value
}

describe('runLoad', () => {
  it('reuses C connections with one call in flight on each', async () => {
    const srv = await serve()
    const r = await load({addr: srv.address, repeat: 200, concurrency: 4})
    expect([r.mode, r.calls, r.ok, r.connections]).toEqual(['reuse', 200, 200, 4])
    expect(srv.stats).toMatchObject({connections: 4, requests: 200, replies: 200})
    expect(r.latency?.count).toBe(200)
    expect(r.latency!.min <= r.latency!.p50 && r.latency!.p50 <= r.latency!.p99 && r.latency!.p99 <= r.latency!.max).toBe(true)
    expect(r.strays.total).toBe(0)
    expect(r.callsPerSec).toBeGreaterThan(0)
  })

  it('opens a new connection per call with --connection-per-call', async () => {
    const srv = await serve()
    const r = await load({addr: srv.address, repeat: 30, concurrency: 3, connectionPerCall: true})
    expect([r.mode, r.calls, r.ok, r.connections]).toEqual(['per-call', 30, 30, 30])
    expect(srv.stats.connections).toBe(30)
  })

  it('holds no channel of a call that is over: memory stays flat with --connection-per-call', async () => {
    const srv = await serve()
    // Channels alive at the 300th call, after a full GC (v8.queryObjects collects first). Every channel
    // used to be kept to the end of the run for its stray and malformed counts: 299 here then.
    const {queryObjects} = await import('node:v8')
    let alive = -1
    let calls = 0
    const r = await load({
      addr: srv.address,
      repeat: 300,
      concurrency: 2,
      connectionPerCall: true,
      onCall: () => {
        if (++calls === 300) alive = queryObjects(RpcChannel, {format: 'count'}) as number
      },
    })
    expect([r.calls, r.ok, r.connections, r.strays.total, r.malformed]).toEqual([300, 300, 300, 0, 0])
    expect(alive).toBeGreaterThanOrEqual(0)
    expect(alive).toBeLessThan(20)
  })

  it('keeps K calls in flight per connection with --pipeline', async () => {
    const srv = await serve({faults: {delayMs: 5}})
    const r = await load({addr: srv.address, repeat: 64, concurrency: 2, pipeline: 8})
    expect([r.mode, r.calls, r.ok, r.connections]).toEqual(['pipeline', 64, 64, 2])
    expect(srv.stats.connections).toBe(2)
  })

  it('counts the replies rocket re-sends on a reused connection as strays, never as answers', async () => {
    const rocket = await rocketLikeServer(() => Buffer.from('1a083230323330353134', 'hex'))
    cleanups.push(() => rocket.close())
    const reused = await load({addr: rocket.addr, repeat: 5, concurrency: 1})
    expect([reused.calls, reused.ok]).toEqual([5, 5])
    // Call n's reply segment re-sends replies 1..n-1: 0+1+2+3+4 strays, all duplicates.
    expect(reused.strays).toMatchObject({total: 10, duplicate: 10, late: 0, unknown: 0})
    expect(reused.strays.examples[0].kind).toBe('duplicate')
    const perCall = await load({addr: rocket.addr, repeat: 5, concurrency: 1, connectionPerCall: true})
    expect([perCall.ok, perCall.strays.total]).toEqual([5, 0])
  })

  it('counts every stray by kind, beyond the 100 examples a connection keeps', async () => {
    const srv = await serve({faults: {resendReplies: true}})
    const r = await load({addr: srv.address, repeat: 20, concurrency: 1})
    expect([r.calls, r.ok]).toEqual([20, 20])
    // Call n re-sends replies 1..n-1: 0+1+...+19 = 190 duplicates on the one connection.
    expect(r.strays).toMatchObject({total: 190, duplicate: 190, late: 0, unknown: 0})
    expect(r.strays.examples.length).toBeLessThanOrEqual(5)
  })

  it('counts all malformed input, beyond the 100 issues a connection keeps', async () => {
    // Three bytes of garbage (a start byte, then a pk_len that cannot be) before every reply.
    const server = new TcpServer<TinyPbFrame, TinyPbMessage>({coder: () => new TinyPbCoder()})
    server.on('connection', (c) => {
      c.on('message', (f) => c.sendRaw(Buffer.concat([Buffer.from([0x02, 0xff, 0x00]), encodeFrame({msgId: f.msgId, methodName: f.methodName, pbData: new Uint8Array(0)})])))
    })
    const addr = await server.listen('127.0.0.1', 0)
    if (!addr.ok) throw addr.error
    cleanups.push(() => server.close(50))
    const r = await load({addr: addr.value, repeat: 150, concurrency: 1})
    expect([r.calls, r.ok, r.connections]).toEqual([150, 150, 1])
    expect(r.malformed).toBe(150)
  })

  it('counts server errors by err_code', async () => {
    const srv = await serve({faults: {errCode: 10_000_009, errInfo: 'not found method_name:[makeOrder]'}})
    const r = await load({addr: srv.address, repeat: 10, concurrency: 2})
    expect(r.ok).toBe(0)
    expect(r.serverErrors).toEqual([{errCode: 10_000_009, errName: 'ERROR_METHOD_NOT_FOUND', count: 10}])
    expect(r.histogram.count).toBe(10)
  })

  it('counts unanswered calls as transport errors with the likely causes', async () => {
    const srv = await serve({faults: {noReply: true}})
    const r = await load({addr: srv.address, repeat: 4, concurrency: 2, timeoutMs: 300})
    expect(r.transportErrors).toEqual([{code: 'CALL_TIMEOUT', count: 4, example: expect.stringContaining('within 300 ms')}])
    expect(r.causes.join('\n')).toContain('rocket sets the error but never sends it')
    expect(r.latency).toBeUndefined()
  })

  it('reconnects when the server closes connections mid-run', async () => {
    const srv = await serve({faults: {closeAfterBytes: 71 * 3}})
    const r = await load({addr: srv.address, repeat: 20, concurrency: 1})
    expect(r.calls).toBe(20)
    expect(r.connections).toBeGreaterThan(1)
    expect(r.transportErrors.map((e) => e.code)).toEqual(['PEER_CLOSED'])
    expect(r.ok + r.transportErrors[0].count).toBe(20)
  })

  it('says the server closed in the middle of a response, as a single call does', async () => {
    const srv = await serve({faults: {closeAfterBytes: 20}})
    const r = await load({addr: srv.address, repeat: 4, concurrency: 1})
    expect(r.transportErrors.map((e) => [e.code, e.count])).toEqual([['PEER_CLOSED', 4]])
    expect(r.causes[0]).toContain('closed the connection in the middle of its response')
    expect(r.causes.join('\n')).toContain('rocket never closes a connection')
  })

  it('lists the causes of both timeouts and closes when a run saw both', async () => {
    // The first reply is cut at byte 20 (PEER_CLOSED); every later connection gets nothing at all (CALL_TIMEOUT).
    let conns = 0
    const server = new TcpServer<TinyPbFrame, TinyPbMessage>({coder: () => new TinyPbCoder()})
    server.on('connection', (c) => {
      const first = conns++ === 0
      c.on('message', (f) => {
        if (!first) return
        c.sendRaw(encodeFrame({msgId: f.msgId, methodName: f.methodName, pbData: new Uint8Array(0)}).subarray(0, 20))
        c.shutdown()
      })
    })
    const addr = await server.listen('127.0.0.1', 0)
    if (!addr.ok) throw addr.error
    cleanups.push(() => server.close(50))
    const r = await load({addr: addr.value, repeat: 3, concurrency: 1, timeoutMs: 300})
    expect(r.transportErrors.map((e) => [e.code, e.count])).toEqual([['CALL_TIMEOUT', 2], ['PEER_CLOSED', 1]])
    const all = r.causes.join('\n')
    expect(all).toContain('closed the connection in the middle of its response')
    expect(all).toContain('without running done')
  })

  it('fails as a value when no connection can be opened at all', async () => {
    const srv = await serve()
    const addr = srv.address
    await srv.close()
    const r = await runLoad({addr, prepared: prepared(), repeat: 100, concurrency: 4})
    expect(!r.ok && r.error.code).toBe('CONNECT_REFUSED')
  })

  it('refuses options that cannot work', async () => {
    const addr = {host: '127.0.0.1', port: 9}
    const pipelinedFixedId = await runLoad({addr, prepared: prepared('99998888'), repeat: 2, concurrency: 1, pipeline: 2})
    expect(!pipelinedFixedId.ok && pipelinedFixedId.error.code).toBe('BAD_LOAD')
    const both = await runLoad({addr, prepared: prepared(), repeat: 2, concurrency: 1, pipeline: 2, connectionPerCall: true})
    expect(!both.ok && both.error.code).toBe('BAD_LOAD')
  })
})
