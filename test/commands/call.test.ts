import {once} from 'node:events'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {createServer, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import Call from '../../commands/call.js'
import {type CallResult, type LoadReport, parseResponses, type ServeOptions, type ServerHandle, startServer} from '../../src/rpc/index.js'
import {loadSchema} from '../../src/rpc/proto/index.js'
import {runCli} from '../rpc/helpers/cli-process.js'
import {rocketLikeServer} from '../rpc/helpers/rocket-like-server.js'
import {runCommand} from '../rpc/helpers/run-command.js'

const PROTO = ['--proto', 'examples/order.proto']
const schema = (() => {
  const r = loadSchema({protoFiles: ['examples/order.proto'], importPaths: []})
  if (!r.ok) throw r.error
  return r.value
})()
const script = (() => {
  const r = parseResponses(
    JSON.stringify({'Order.makeOrder': [{when: {price: {$gte: 10}}, response: {order_id: '20230514'}}, {response: {ret_code: -1, res_info: 'short balance'}}]}),
    schema,
  )
  if (!r.ok) throw r.error
  return r.value
})()

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

async function serve(opts: Partial<ServeOptions> = {}): Promise<{addr: string; handle: ServerHandle}> {
  const r = await startServer({schema, script, ...opts})
  if (!r.ok) throw r.error
  cleanups.push(() => r.value.close(50))
  return {addr: `127.0.0.1:${r.value.address.port}`, handle: r.value}
}

/** A listener that only counts connections: proves nothing was sent. */
async function countingServer() {
  let connections = 0
  const sockets = new Set<Socket>()
  const srv = createServer((s) => {
    connections++
    sockets.add(s)
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  cleanups.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), srv.close(() => r()))))
  return {addr: `127.0.0.1:${(srv.address() as {port: number}).port}`, connections: () => connections}
}

describe('rpcdiag call (in process)', () => {
  it('prints the response with default values, err_code, msg_id and timings; returns the typed result', async () => {
    const {addr} = await serve()
    const out = await runCommand<CallResult>(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '--json', '{"price":100,"goods":"apple"}'])
    expect(out.exitCode).toBe(0)
    expect(out.result?.status).toBe('ok')
    expect(out.result?.response?.body).toMatchObject({json: {ret_code: 0, res_info: '', order_id: '20230514'}})
    expect(out.stdout).toContain(`Order.makeOrder  → ${addr}`)
    expect(out.stdout).toContain(`msg_id ${out.result?.msgId}`)
    expect(out.stdout).toContain('err_code 0 OK')
    expect(out.stdout).toContain('{\n  "ret_code": 0,\n  "res_info": "",\n  "order_id": "20230514"\n}')
    expect(out.stdout).toMatch(/connect [\d.]+ ms {2}first byte [\d.]+ ms {2}total [\d.]+ ms/)
  })

  it('--format json prints one object a script can read', async () => {
    const {addr} = await serve()
    const out = await runCommand(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '-d', '{"price":5}', '--format', 'json', '--msg-id', '99998888'])
    const json = JSON.parse(out.stdout)
    expect(json).toMatchObject({
      status: 'ok',
      method: 'Order.makeOrder',
      msgId: '99998888',
      errCode: 0,
      errName: 'OK',
      responseType: 'makeOrderResponse',
      response: {ret_code: -1, res_info: 'short balance', order_id: ''},
      request: {price: 5, goods: ''},
    })
    expect(Object.keys(json.timings).sort()).toEqual(['connectMs', 'firstByteMs', 'totalMs'])
  })

  it('--verbose shows both frames: header fields and hex dump', async () => {
    const {addr} = await serve()
    const out = await runCommand(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '--json', '{"price":100,"goods":"apple"}', '--msg-id', '20000000000000000001', '-v'])
    // The request is byte for byte the one in TINYPB.md; the reply is rocket's 71-byte answer.
    expect(out.stdout).toContain('> request frame, 70 bytes')
    expect(out.stdout).toContain('0000  02 00 00 00 46 00 00 00  14 32 30 30 30 30 30 30  ....F....2000000')
    expect(out.stdout).toContain('< response frame, 71 bytes')
    expect(out.stdout).toContain('pk_len 71  msg_id_len 20  msg_id "20000000000000000001"  method_name_len 15  method_name "Order.makeOrder"')
  })

  it('sends --data-hex as is and shows the answer schema-less', async () => {
    const {addr} = await serve()
    const out = await runCommand(Call, ['Order.makeOrder', '--addr', addr, '--data-hex', '08 64 12 05 61 70 70 6c 65'])
    expect(out.exitCode).toBe(0)
    expect(out.stdout).toContain('3: "20230514"')
    expect(out.stdout).toContain('like protoc --decode_raw')
  })

  it('exits 3 when the server answers err_code != 0, after printing the answer', async () => {
    const {addr} = await serve({faults: {errCode: 10_000_009, errInfo: 'not found method_name:[makeOrder]'}})
    const out = await runCommand(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '--format', 'json'])
    expect(out.exitCode).toBe(3)
    expect(JSON.parse(out.stdout)).toMatchObject({status: 'server-error', errCode: 10_000_009, errName: 'ERROR_METHOD_NOT_FOUND'})
    expect(out.error?.message).toBe('server answered err_code 10000009 ERROR_METHOD_NOT_FOUND: not found method_name:[makeOrder]')
  })

  it('exits 1 on a timeout and explains the rocket causes', async () => {
    const {addr} = await serve({faults: {noReply: true}})
    const out = await runCommand(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '--timeout', '400'])
    expect(out.exitCode).toBe(1)
    expect(out.error?.message).toMatch(/^no response to Order\.makeOrder \(msg_id \d{20}\) within \d+ ms \(request frame 61 bytes, to 127\.0\.0\.1:\d+\)/)
    // The error is one line; the causes are the diagnosis, printed with the result.
    expect(out.error?.message).not.toContain('\n')
    expect(out.stdout).toContain('Likely causes:')
    expect(out.stdout).toContain('rocket sets the error but never sends it')
  })

  it('exits 1 when the server closes mid-frame', async () => {
    const {addr} = await serve({faults: {closeAfterBytes: 30}})
    const out = await runCommand(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '--format', 'json'])
    expect(out.exitCode).toBe(1)
    expect(JSON.parse(out.stdout).error).toMatchObject({code: 'PEER_CLOSED', errCode: 10_000_000})
    expect(out.error?.message).toContain('peer closed the connection mid-frame')
  })

  it.each([
    ['JSON that does not parse', ['--json', '{"price":'], 'is not valid JSON'],
    ['an unknown method', ['--json', '{}', '--method-typo'], ''],
    ['a field of the wrong type', ['--json', '{"price":"cheap"}'], 'makeOrderRequest.price: expected int32'],
    ['an unknown field', ['--json', '{"prise":1}'], 'makeOrderRequest has no field "prise" (did you mean "price"?)'],
    ['a frame that would crash rocket', ['--msg-id', 'x'.repeat(100)], 'msg_id is 100 bytes'],
    ['--concurrency without --repeat', ['-c', '4'], '--concurrency, --connection-per-call, --pipeline and --report need --repeat N'],
    ['--report without --repeat', ['--report', '/dev/null'], '--concurrency, --connection-per-call, --pipeline and --report need --repeat N'],
  ])('exits 2 on %s, and nothing reaches the server', async (_what, flags, text) => {
    const counting = await countingServer()
    const method = flags.includes('--method-typo') ? 'Order.makeOrdr' : 'Order.makeOrder'
    const out = await runCommand(Call, [method, ...PROTO, '--addr', counting.addr, ...flags.filter((f) => f !== '--method-typo')])
    expect(out.exitCode).toBe(2)
    if (method === 'Order.makeOrdr') expect(out.error?.message).toContain('Did you mean Order.makeOrder?')
    else expect(out.error?.message).toContain(text)
    expect(counting.connections()).toBe(0)
  })

  it('allows unknown fields with --allow-unknown-fields, with a warning', async () => {
    const {addr} = await serve()
    const out = await runCommand(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '--json', '{"price":100,"colour":"red"}', '--allow-unknown-fields'])
    expect(out.exitCode).toBe(0)
    expect(out.stderr).toContain('unknown fields dropped (--allow-unknown-fields): makeOrderRequest.colour')
  })

  it('warns once, on stderr, about an unsafe frame sent with --force: what it does, to whom, and how', async () => {
    const {addr} = await serve()
    const out = await runCommand<CallResult>(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '--msg-id', '7'.repeat(60), '--force'])
    expect(out.exitCode).toBe(0)
    const line = 'warning: msg_id is 60 bytes: tinyrpc copies it into 50 bytes without a bounds check (tinyrpc: crash)'
    expect(out.stderr.split('\n').filter((l) => l === line)).toHaveLength(1)
    expect(out.result?.warnings).toEqual([line.slice('warning: '.length)])
  })

  it('reads the body from --json @file', async () => {
    const {addr} = await serve()
    const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-call-'))
    writeFileSync(join(dir, 'req.json'), '{"price": 3}')
    const out = await runCommand<CallResult>(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '--json', `@${join(dir, 'req.json')}`])
    expect(out.result?.request.json).toEqual({price: 3, goods: ''})
    const missing = await runCommand(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '--json', `@${join(dir, 'nope.json')}`])
    expect([missing.exitCode, missing.error?.message]).toEqual([2, `cannot read --json @${join(dir, 'nope.json')}: no such file`])
  })
})

describe('rpcdiag call --repeat (in process)', () => {
  it.each([
    ['reused connections', [], 'reuse', '4 connection(s), one call in flight on each'],
    ['--connection-per-call', ['--connection-per-call'], 'per-call', 'a new connection per call, 4 at a time'],
    ['--pipeline 4', ['--pipeline', '4'], 'pipeline', '4 connection(s), 4 calls in flight on each'],
  ])('runs a load test over %s and prints rate, percentiles and a histogram', async (_what, flags, mode, text) => {
    const {addr} = await serve()
    const out = await runCommand<LoadReport>(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '-d', '{"price":100}', '-n', '120', '-c', '4', ...flags])
    expect(out.exitCode).toBe(0)
    expect(out.result).toMatchObject({mode, calls: 120, ok: 120})
    expect(out.stdout).toContain(text)
    expect(out.stdout).toMatch(/Calls\/sec: +[\d.]+/)
    expect(out.stdout).toMatch(/min +mean +p50 +p90 +p99 +p99\.9 +max/)
    expect(out.stdout.match(/ ms \[\d+\]/g)?.length).toBeGreaterThan(0)
  })

  it('reports the stray replies of a rocket-like server and advises --connection-per-call', async () => {
    const rocket = await rocketLikeServer(() => Buffer.from('1a083230323330353134', 'hex'))
    cleanups.push(() => rocket.close())
    const addr = `127.0.0.1:${rocket.addr.port}`
    const out = await runCommand<LoadReport>(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '-n', '4', '--format', 'json'])
    expect(out.exitCode).toBe(0)
    expect(JSON.parse(out.stdout).strays).toMatchObject({total: 6, duplicate: 6})
    const pretty = await runCommand(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '-n', '3'])
    expect(pretty.stdout).toContain('Stray responses: 3 (duplicate 3, late 0, unknown 0); none was taken as an answer.')
    expect(pretty.stdout).toContain('use --connection-per-call')
  })

  it('exits 3 when calls were answered with errors and 1 when some got no answer', async () => {
    const failing = await serve({faults: {errCode: 42}})
    const e3 = await runCommand(Call, ['Order.makeOrder', ...PROTO, '--addr', failing.addr, '-n', '5'])
    expect([e3.exitCode, e3.error?.message]).toEqual([3, '5 of 5 calls answered with err_code != 0'])
    expect(e3.stdout).toMatch(/42 +application error 42 +5/)
    const silent = await serve({faults: {noReply: true}})
    const e1 = await runCommand(Call, ['Order.makeOrder', ...PROTO, '--addr', silent.addr, '-n', '2', '-t', '300'])
    expect([e1.exitCode, e1.error?.message]).toEqual([1, '2 of 2 calls got no answer'])
    expect(e1.stdout).toContain('Likely causes of unanswered calls:')
  })
})

describe('rpcdiag call (as a process)', () => {
  let server: ServerHandle
  let addr: string
  beforeAll(async () => {
    const r = await startServer({schema, script})
    if (!r.ok) throw r.error
    server = r.value
    addr = `127.0.0.1:${server.address.port}`
  })
  afterAll(() => server.close(50))

  it('exits 0 and reads the request from stdin with --json -', async () => {
    const p = await runCli(['call', 'Order.makeOrder', ...PROTO, '--addr', addr, '--json', '-', '--format', 'json'], {stdin: '{"price": 12}'})
    expect(p.code).toBe(0)
    expect(JSON.parse(p.stdout)).toMatchObject({status: 'ok', response: {order_id: '20230514'}, request: {price: 12}})
  })

  it('takes the schema from RPCDIAG_PROTO', async () => {
    const p = await runCli(['call', 'Order.makeOrder', '--addr', addr, '-d', '{"price": 1}', '--format', 'json'], {env: {RPCDIAG_PROTO: 'examples/order.proto'}})
    expect(p.code).toBe(0)
    expect(JSON.parse(p.stdout).response.res_info).toBe('short balance')
  })

  it('exits 1 with one line (no stack trace) when the connection is refused', async () => {
    const closed = await countingServer()
    cleanups.pop()!()
    const p = await runCli(['call', 'Order.makeOrder', ...PROTO, '--addr', closed.addr])
    expect(p.code).toBe(1)
    expect(p.stderr).toContain(`connect to ${closed.addr} failed: connection refused`)
    expect(p.stderr).not.toMatch(/\n\s+at /)
  })

  it('exits 2 on JSON that does not parse', async () => {
    const p = await runCli(['call', 'Order.makeOrder', ...PROTO, '--addr', addr, '--json', '{oops}'])
    expect(p.code).toBe(2)
    expect(p.stderr).toContain('--json is not valid JSON')
  })

  it('exits 3 on err_code != 0', async () => {
    const p = await runCli(['call', 'Order.cancel', '--addr', addr, '--data-hex', ''])
    expect(p.code).toBe(3)
    expect(p.stdout).toContain('err_code 10000009 ERROR_METHOD_NOT_FOUND  err_info "not found method_name:[cancel]"')
  })
})
