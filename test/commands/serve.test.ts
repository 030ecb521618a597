import {afterEach, describe, expect, it} from 'vitest'

import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import Call from '../../commands/call.js'
import type {CallResult, LoadReport} from '../../src/rpc/index.js'
import {runCli, startCli, type LongRunning} from '../rpc/helpers/cli-process.js'
import {runCommand} from '../rpc/helpers/run-command.js'

const PROTO = ['--proto', 'examples/order.proto']
const running: LongRunning[] = []
afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    await p.exited
  }
})

function serve(args: string[]): LongRunning {
  const p = startCli(['serve', ...PROTO, '--port', '0', ...args])
  running.push(p)
  return p
}

const call = (addr: string, json: string, extra: string[] = []) => runCommand<CallResult>(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '--json', json, ...extra])

describe('rpcdiag serve (as a process)', () => {
  it('answers from examples/order-responses.json, logs NDJSON with --json, stops on SIGTERM with exit 0', async () => {
    const p = serve(['--responses', 'examples/order-responses.json', '--json'])
    const listening = JSON.parse((await p.waitFor(/^\{"type":"listening".*$/m))[0])
    expect(listening.methods).toEqual(['Order.makeOrder'])
    const addr: string = listening.address

    const rich = await call(addr, '{"price":100,"goods":"apple"}')
    expect(rich.result?.response?.body).toMatchObject({json: {ret_code: 0, res_info: '', order_id: '20230514'}})
    const poor = await call(addr, '{"price":9,"goods":"pear"}')
    expect(poor.result?.response?.body).toMatchObject({json: {ret_code: -1, res_info: 'short balance', order_id: ''}})

    await p.waitFor(/"res_info":"short balance"/)
    const requests = p
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'request')
    expect(requests).toMatchObject([
      {method: 'Order.makeOrder', msgId: rich.result?.msgId, request: {price: 100, goods: 'apple'}, response: {order_id: '20230514'}, errCode: 0, rule: 1, action: 'reply'},
      {method: 'Order.makeOrder', msgId: poor.result?.msgId, request: {price: 9, goods: 'pear'}, rule: 2},
    ])
    // The timestamp sniff --json uses: epoch seconds (src/render/timestamp.ts), within a minute of now.
    expect(requests[0].ts).toBeCloseTo(Date.now() / 1000, -2)
    expect(requests[0].time).toBeUndefined()

    p.child.kill('SIGTERM')
    const end = await p.exited
    expect(end.code).toBe(0)
    expect(JSON.parse(end.stdout.trim().split('\n').at(-1)!)).toMatchObject({type: 'stopped', signal: 'SIGTERM', requests: 2, replies: 2})
  })

  it('logs one line per request and stops on SIGINT', async () => {
    const p = serve(['--verbose'])
    const addr = (await p.waitFor(/listening on (\S+)/, 'stderr'))[1]
    const r = await call(addr, '{"price":1}')
    expect(r.exitCode).toBe(0)
    const line = (await p.waitFor(/^.*Order\.makeOrder msg_id.*$/m))[0]
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} 127\.0\.0\.1:\d+ Order\.makeOrder msg_id \d{20} 63B -> err_code 0 OK 61B /)
    expect(line).toContain('{"price":1,"goods":""} -> {"ret_code":0,"res_info":"","order_id":""}')
    p.child.kill('SIGINT')
    const end = await p.exited
    expect(end.code).toBe(0)
    expect(end.stderr).toContain('stopped on SIGINT: 1 connection(s), 1 request(s)')
    expect(end.stdout).toMatch(/connected/)
  })

  it('injects --error-code/--error-info, --delay, --no-reply and --close-after-bytes', async () => {
    const errors = serve(['--error-code', '10000008', '--error-info', 'not found service_name:[Order]', '--delay', '20', '-q'])
    const errAddr = (await errors.waitFor(/listening on (\S+)/, 'stderr'))[1]
    const e = await call(errAddr, '{}')
    expect(e.exitCode).toBe(3)
    expect(e.result).toBeUndefined()
    expect(e.error?.message).toBe('server answered err_code 10000008 ERROR_SERVICE_NOT_FOUND: not found service_name:[Order]')

    const silent = serve(['--no-reply', '-q'])
    const silentAddr = (await silent.waitFor(/listening on (\S+)/, 'stderr'))[1]
    const s = await call(silentAddr, '{}', ['--timeout', '400'])
    expect(s.exitCode).toBe(1)
    expect(s.error?.message).toContain('within 400 ms')

    const cutting = serve(['--close-after-bytes', '10', '-q'])
    const cutAddr = (await cutting.waitFor(/listening on (\S+)/, 'stderr'))[1]
    const c = await call(cutAddr, '{}')
    expect(c.exitCode).toBe(1)
    expect(c.error?.message).toContain('mid-frame')
  })

  it('--resend-replies makes stale duplicates that call --repeat counts and never takes as answers', async () => {
    const p = serve(['--resend-replies', '-q'])
    const addr = (await p.waitFor(/listening on (\S+)/, 'stderr'))[1]
    const reused = await runCommand<LoadReport>(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '-n', '5', '--format', 'json'])
    expect(reused.exitCode).toBe(0)
    expect(JSON.parse(reused.stdout)).toMatchObject({calls: 5, ok: 5, strays: {total: 10, duplicate: 10}})
    const perCall = await runCommand<LoadReport>(Call, ['Order.makeOrder', ...PROTO, '--addr', addr, '-n', '5', '--connection-per-call'])
    expect(perCall.result).toMatchObject({ok: 5, strays: {total: 0}})
  })

  it('--help says that real tinyrpc answers a payload that does not parse with 10000004, not 10000003', async () => {
    const help = await runCli(['serve', '--help'])
    expect(help.code).toBe(0)
    const text = help.stdout.replace(/\s+/g, ' ')
    expect(text).toContain('10000003 (a payload that does not parse)')
    expect(text).toContain('real tinyrpc sends 10000004 (ERROR_FAILED_SERIALIZE) for a payload that does not parse')
  })

  it('exits 2 on a responses file that does not match the .proto', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-serve-'))
    const file = join(dir, 'r.json')
    writeFileSync(file, JSON.stringify({'Order.makeOrder': {order_idd: 'x'}}))
    const p = await runCli(['serve', ...PROTO, '--port', '0', '--responses', file])
    expect(p.code).toBe(2)
    expect(p.stderr).toContain('makeOrderResponse has no field "order_idd" (did you mean "order_id"?)')
  })

  it('exits 1 when the port is taken', async () => {
    const first = serve(['-q'])
    const port = (await first.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 'stderr'))[1]
    const p = await runCli(['serve', ...PROTO, '--port', port])
    expect(p.code).toBe(1)
    expect(p.stderr).toContain(`cannot listen on 127.0.0.1:${port}: address already in use`)
  })
})
