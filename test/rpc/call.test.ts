import {once} from 'node:events'
import {createServer, type Socket} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {encodeFrame} from '../../decoders/tinypb/index.js'
import {
  type CallInput,
  type CallResult,
  parseResponses,
  prepareCall,
  runCall,
  type ServeEvent,
  type ServeOptions,
  startServer,
} from '../../src/rpc/index.js'
import {loadSchema, type ProtoSchema} from '../../src/rpc/proto/index.js'
import {rocketLikeServer} from './helpers/rocket-like-server.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

function schemaOf(file: string): ProtoSchema {
  const r = loadSchema({protoFiles: [file], importPaths: []})
  if (!r.ok) throw r.error
  return r.value
}
const order = schemaOf('examples/order.proto')
const orderScript = (() => {
  const r = parseResponses(JSON.stringify({'Order.makeOrder': [{when: {price: {$gte: 10}}, response: {order_id: '20230514'}}, {response: {ret_code: -1, res_info: 'short balance'}}]}), order)
  if (!r.ok) throw r.error
  return r.value
})()

async function serve(opts: Partial<ServeOptions> = {}) {
  const events: ServeEvent[] = []
  const r = await startServer({schema: order, script: orderScript, onEvent: (e) => events.push(e), logBodies: true, ...opts})
  if (!r.ok) throw r.error
  cleanups.push(() => r.value.close(50))
  return {addr: r.value.address, events, handle: r.value}
}

async function call(addr: {host: string; port: number}, input: Partial<CallInput> & {json?: unknown}, timeoutMs = 5000): Promise<CallResult> {
  const p = prepareCall({
    method: 'Order.makeOrder',
    schema: order,
    body: input.json === undefined ? input.body : {kind: 'json', value: input.json},
    ...input,
  })
  if (!p.ok) throw p.error
  return runCall({addr, prepared: p.value, timeoutMs})
}

/** Counts connections, reads and discards: to prove that nothing was sent. */
async function countingServer() {
  let connections = 0
  const sockets = new Set<Socket>()
  const srv = createServer((s) => {
    connections++
    sockets.add(s)
    s.on('error', () => {})
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        srv.close(() => r())
      }),
  )
  return {addr: {host: '127.0.0.1', port: (srv.address() as {port: number}).port}, connections: () => connections}
}

describe('runCall against the embedded server', () => {
  it('makes a good call: response JSON with defaults, err_code 0, msg_id echoed, timings in order', async () => {
    const {addr, events} = await serve()
    const r = await call(addr, {json: {price: 100, goods: 'apple'}})
    expect(r.status).toBe('ok')
    expect(r.response?.errCode).toBe(0)
    expect(r.response?.errName).toBe('OK')
    expect(r.response?.body).toMatchObject({kind: 'json', typeName: 'makeOrderResponse', json: {ret_code: 0, res_info: '', order_id: '20230514'}})
    expect(r.msgId).toMatch(/^\d{20}$/)
    expect(r.response?.frame.msgId).toBe(r.msgId)
    expect(r.request.json).toEqual({price: 100, goods: 'apple'})
    const t = r.timings
    expect(t.connectMs! <= t.firstByteMs! && t.firstByteMs! <= t.totalMs).toBe(true)
    expect(events.find((e) => e.type === 'request')).toMatchObject({method: 'Order.makeOrder', msgId: r.msgId, request: {price: 100, goods: 'apple'}, rule: 1})
  })

  it('shows a business error inside the payload with err_code 0, like rocket (ret_code -1 short balance)', async () => {
    const {addr} = await serve()
    const r = await call(addr, {json: {price: 1}, msgId: '99998888'})
    expect(r.status).toBe('ok')
    expect(r.msgId).toBe('99998888')
    expect(r.response?.body).toMatchObject({json: {ret_code: -1, res_info: 'short balance', order_id: ''}})
  })

  it('reports err_code != 0 as a server error with the framework name', async () => {
    const {addr} = await serve({faults: {errCode: 10_000_008, errInfo: 'not found service_name:[Order]'}})
    const r = await call(addr, {json: {price: 100}})
    expect(r.status).toBe('server-error')
    expect(r.response).toMatchObject({errCode: 10_000_008, errName: 'ERROR_SERVICE_NOT_FOUND', errInfo: 'not found service_name:[Order]'})
  })

  it('hears 10000009 from the server for a method missing there (raw payload, no local schema)', async () => {
    const {addr} = await serve()
    const p = prepareCall({method: 'Order.cancel', body: {kind: 'bytes', bytes: new Uint8Array(0)}})
    if (!p.ok) throw p.error
    const r = await runCall({addr, prepared: p.value})
    expect(r.status).toBe('server-error')
    expect([r.response?.errCode, r.response?.errInfo]).toEqual([10_000_009, 'not found method_name:[cancel]'])
    expect(r.response?.body.kind).toBe('raw')
  })

  it('decodes a response schema-less when there is no .proto (--data-hex)', async () => {
    const {addr} = await serve()
    const p = prepareCall({method: 'Order.makeOrder', body: {kind: 'bytes', bytes: Buffer.from('086412056170706c65', 'hex')}})
    if (!p.ok) throw p.error
    const r = await runCall({addr, prepared: p.value})
    expect(r.status).toBe('ok')
    expect(r.response?.body.kind).toBe('raw')
    if (r.response?.body.kind !== 'raw') return
    expect(r.response.body.text).toEqual(['3: "20230514"'])
  })

  it('times out when the server never answers, and lists the rocket causes', async () => {
    const {addr} = await serve({faults: {noReply: true}})
    const r = await call(addr, {json: {price: 100}}, 400)
    expect(r.status).toBe('transport-error')
    expect(r.error?.code).toBe('CALL_TIMEOUT')
    expect(r.error?.errCode).toBe(10_000_007)
    expect(r.causes.join('\n')).toContain('rocket sets the error but never sends it')
    expect(r.causes.join('\n')).toContain('without running done')
    expect(r.causes.join('\n')).not.toContain('128 bytes')
  })

  it('names the frame size when a silent call sent a frame of 128 bytes or more', async () => {
    const rocket = await rocketLikeServer(() => new Uint8Array(0))
    cleanups.push(() => rocket.close())
    const r = await call(rocket.addr, {json: {price: 100, goods: 'x'.repeat(70)}}, 400)
    expect(r.request.frame.length).toBeGreaterThanOrEqual(128)
    expect(r.status).toBe('transport-error')
    expect(r.causes[0]).toContain(`the request frame is ${r.request.frame.length} bytes`)
    // rocket really saw it and said nothing.
    expect(rocket.seen).toEqual([r.msgId])
  })

  it('fails with PEER_CLOSED mid-frame when the server closes after part of its reply', async () => {
    const {addr, events} = await serve({faults: {closeAfterBytes: 20}})
    const r = await call(addr, {json: {price: 100}})
    expect(r.status).toBe('transport-error')
    expect(r.error?.code).toBe('PEER_CLOSED')
    expect(r.error?.message).toContain('mid-frame')
    expect(r.malformed.map((i) => i.code)).toContain('TRUNCATED')
    expect(events.find((e) => e.type === 'request')).toMatchObject({action: 'closed'})
  })

  it('fails with PEER_CLOSED when the server closes before answering at all', async () => {
    const {addr} = await serve({faults: {closeAfterBytes: 0}})
    const r = await call(addr, {json: {price: 100}})
    expect(r.error?.code).toBe('PEER_CLOSED')
    expect(r.error?.message).toBe('peer closed the connection without answering')
    expect(r.causes.some((c) => c.includes('rocket never closes a connection'))).toBe(true)
  })

  it('puts a payload that does not parse as the request type first among the causes of silence', async () => {
    const rocket = await rocketLikeServer(() => undefined)
    cleanups.push(() => rocket.close())
    const r = await call(rocket.addr, {body: {kind: 'bytes', bytes: Buffer.from('0a0501', 'hex')}}, 300)
    expect(r.warnings.join()).toContain('does not parse as makeOrderRequest')
    expect(r.status).toBe('transport-error')
    expect(r.causes[0]).toContain("the request does not parse as the method's request type: rocket sets the error but never sends it")
    expect(r.causes.join('\n')).not.toContain('an unknown service or method')
  })

  it('names the crash a forced frame causes when the server then closes', async () => {
    const {addr} = await serve({faults: {closeAfterBytes: 0}})
    const r = await call(addr, {json: {price: 100}, msgId: '7'.repeat(60), force: true})
    expect(r.error?.code).toBe('PEER_CLOSED')
    expect(r.causes[0]).toBe('msg_id is 60 bytes: tinyrpc copies it into 50 bytes without a bounds check: the server may have crashed')
  })

  it('fails with CONNECT_REFUSED (10000001) when nothing listens', async () => {
    const {handle, addr} = await serve()
    await handle.close()
    const r = await call(addr, {json: {}})
    expect(r.status).toBe('transport-error')
    expect([r.error?.code, r.error?.errCode]).toEqual(['CONNECT_REFUSED', 10_000_001])
  })

  it('takes the answer that follows garbage on the wire, and says garbage was skipped', async () => {
    const sockets = new Set<Socket>()
    const srv = createServer((s) => {
      sockets.add(s)
      s.on('data', (d) => {
        const msgId = d.subarray(9, 29).toString()
        s.write(Buffer.concat([Buffer.from([0x02, 0xff, 0x00]), encodeFrame({msgId, methodName: 'Order.makeOrder', pbData: Buffer.from('1a0161', 'hex')})]))
      })
    })
    srv.listen(0, '127.0.0.1')
    await once(srv, 'listening')
    cleanups.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), srv.close(() => r()))))
    const r = await call({host: '127.0.0.1', port: (srv.address() as {port: number}).port}, {json: {price: 100}})
    expect(r.status).toBe('ok')
    expect(r.response?.body).toMatchObject({json: {order_id: 'a'}})
    expect(r.malformed.length).toBe(1)
    expect(r.malformed[0].skipped).toBe(3)
  })
})

describe('bad input is refused before anything is sent', () => {
  it.each([
    ['an unknown method', {method: 'Order.makeOrdr'}, 'UNKNOWN_METHOD', 'Did you mean Order.makeOrder?'],
    ['a field of the wrong type', {body: {kind: 'json', value: {price: 'cheap'}}}, 'FIELD_TYPE', 'makeOrderRequest.price: expected int32'],
    ['an unknown field', {body: {kind: 'json', value: {prise: 1}}}, 'UNKNOWN_FIELD', '(did you mean "price"?)'],
    ['JSON without a schema', {schema: undefined, body: {kind: 'json', value: {}}}, 'NO_SCHEMA', '--data-hex'],
    ['a msg_id that overflows rocket and tinyrpc', {msgId: '1'.repeat(120)}, 'PEER_UNSAFE', 'msg_id is 120 bytes'],
    ['a method name without a dot', {schema: undefined, method: 'makeOrder', body: {kind: 'bytes', bytes: new Uint8Array(0)}}, 'PEER_UNSAFE', 'has no "Service.method" dot'],
  ] as Array<[string, Partial<CallInput>, string, string]>)('%s', async (_what, input, code, text) => {
    const counting = await countingServer()
    const p = prepareCall({method: 'Order.makeOrder', schema: order, ...input})
    expect(p.ok).toBe(false)
    if (p.ok) return
    expect(p.error.code).toBe(code)
    expect(p.error.message).toContain(text)
    expect(counting.connections()).toBe(0)
  })

  it('sends an unsafe frame with force, warning about it', async () => {
    const {addr} = await serve()
    const p = prepareCall({method: 'Order.makeOrder', schema: order, msgId: '7'.repeat(60), force: true})
    if (!p.ok) throw p.error
    expect(p.value.findings.map((f) => f.code)).toEqual(['MSG_ID_TOO_LONG'])
    const r = await runCall({addr, prepared: p.value})
    expect(r.status).toBe('ok')
    expect(r.warnings.join()).toContain('tinyrpc copies it into 50 bytes')
  })

  it('only warns about a frame that rocket drops, and not at all with --peer tinyrpc', () => {
    const input = {method: 'Order.makeOrder', schema: order, body: {kind: 'json' as const, value: {goods: 'y'.repeat(80)}}}
    const any = prepareCall(input)
    expect(any.ok && any.value.findings.map((f) => f.code)).toEqual(['FRAME_DROPPED_BY_ROCKET'])
    const tiny = prepareCall({...input, peer: 'tinyrpc'})
    expect(tiny.ok && tiny.value.findings).toEqual([])
  })

  it('refuses a packaged method for rocket but lets --peer tinyrpc send it', () => {
    const shop = loadSchema({protoFiles: ['shop/shop.proto'], importPaths: ['test/rpc/fixtures']})
    if (!shop.ok) throw shop.error
    const rocket = prepareCall({method: 'Order.makeOrder', schema: shop.value, peer: 'rocket'})
    expect(!rocket.ok && rocket.error.message).toContain('looks up service "shop"')
    const anyPeer = prepareCall({method: 'Order.makeOrder', schema: shop.value})
    expect(!anyPeer.ok && anyPeer.error.message).toContain('--peer tinyrpc')
    const tiny = prepareCall({method: 'Order.makeOrder', schema: shop.value, peer: 'tinyrpc'})
    expect(tiny.ok && tiny.value.wireName).toBe('shop.Order.makeOrder')
  })
})
