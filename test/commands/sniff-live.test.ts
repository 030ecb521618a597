// rpcdiag sniff capturing live on lo while real TinyPB traffic runs: `call`
// talking to `serve` (both rpcdiag, as processes), and servers that misbehave
// the way TINYPB.md says rocket does. Live capture needs root (CI runs as root).
import {execFileSync} from 'node:child_process'
import {mkdtempSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import Call from '../../commands/call.js'
import type {CallResult} from '../../src/rpc/index.js'
import {runCli, startCli, type LongRunning} from '../rpc/helpers/cli-process.js'
import {rocketLikeServer} from '../rpc/helpers/rocket-like-server.js'
import {runCommand} from '../rpc/helpers/run-command.js'

const ROOT = process.getuid?.() === 0
const PROTO = ['--proto', 'examples/order.proto']
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-sniff-live-'))

const running: LongRunning[] = []
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    await p.exited
  }
  while (cleanups.length > 0) await cleanups.pop()!()
})

type Json = Record<string, any>

function start(args: string[]): LongRunning {
  const p = startCli(args)
  running.push(p)
  return p
}

/** A live sniff on lo for one port, NDJSON out; resolves once it captures. */
async function sniff(port: number, extra: string[] = []): Promise<LongRunning> {
  const p = start(['sniff', '-i', 'lo', '--port', String(port), '--json', ...extra])
  await p.waitFor(/capturing on lo/, 'stderr')
  return p
}

/** Ctrl-C, then every NDJSON object it printed; the summary is the last. */
async function interrupt(p: LongRunning): Promise<{code: number | null; events: Json[]; summary: Json; stderr: string}> {
  p.child.kill('SIGINT')
  const end = await p.exited
  const events = end.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Json)
  return {code: end.code, events, summary: events.at(-1)!, stderr: end.stderr}
}

async function serve(args: string[] = []): Promise<{port: number; pid: number}> {
  const p = start(['serve', ...PROTO, '--port', '0', '--responses', 'examples/order-responses.json', ...args])
  const m = await p.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 'stderr')
  return {port: Number(m[1]), pid: p.child.pid!}
}

describe.skipIf(!ROOT)('live capture on lo (needs root: CI runs as root)', () => {
  it('sees `call` talk to `serve`: the transaction, its payloads, the server process; Ctrl-C keeps summary and --write file', async () => {
    const server = await serve()
    const out = join(dir, 'live.pcap')
    const s = await sniff(server.port, [...PROTO, '-v', '-w', out])
    const r = await runCli(['call', 'Order.makeOrder', ...PROTO, '--addr', `127.0.0.1:${server.port}`, '--json', '{"price":100,"goods":"apple"}', '--format', 'json'])
    expect(r.code).toBe(0)
    const msgId = JSON.parse(r.stdout).msgId as string
    await s.waitFor(/"type":"transaction"/)
    const {code, events, summary} = await interrupt(s)
    expect(code).toBe(0)
    const tx = events.find((e) => e.type === 'transaction')!
    expect(tx).toMatchObject({method: 'Order.makeOrder', msgId, status: 'ok', server: `127.0.0.1:${server.port}`})
    expect(tx.request.payload.json).toEqual({price: 100, goods: 'apple'})
    expect(tx.response.payload.json).toMatchObject({ret_code: 0, order_id: '20230514'})
    expect(tx.latencyMs).toBeGreaterThan(0)
    expect(tx.serverProcess).toMatchObject({pid: server.pid})
    expect(summary).toMatchObject({type: 'summary', requests: 1, responses: 1, paired: 1, unanswered: 0, connections: 1})
    expect(summary.methods['Order.makeOrder']).toMatchObject({count: 1, answered: 1, errors: 0})
    // The --write file survived Ctrl-C: private, and tcpdump reads the call's packets from it.
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const listed = execFileSync('tcpdump', ['-nr', out], {stdio: ['ignore', 'pipe', 'ignore']}).toString()
    expect(listed).toContain(`127.0.0.1.${server.port}`)
    expect(listed.trim().split('\n').length).toBeGreaterThanOrEqual(summary.packets)
  })

  it('reports a request the server never answers, at --timeout, with the rocket causes', async () => {
    const server = await serve(['--no-reply'])
    const s = await sniff(server.port, ['--timeout', '300'])
    const r = await runCommand<CallResult>(Call, ['Order.makeOrder', ...PROTO, '--addr', `127.0.0.1:${server.port}`, '--json', '{"price":5}', '--timeout', '1500'])
    expect(r.exitCode).toBe(1)
    await s.waitFor(/"type":"unanswered"/)
    const {events, summary} = await interrupt(s)
    const un = events.find((e) => e.type === 'unanswered')!
    expect(un).toMatchObject({method: 'Order.makeOrder', reason: 'timeout'})
    expect(un.causes.map((c: Json) => c.code)).toContain('HANDLER_NO_DONE')
    expect(summary).toMatchObject({requests: 1, unanswered: 1, paired: 0})
  })

  it('flags the duplicate reply rocket sends on a reused connection', async () => {
    const server = await serve(['--resend-replies'])
    const s = await sniff(server.port)
    // Two calls, one after the other, on one connection.
    const r = await runCommand(Call, ['Order.makeOrder', ...PROTO, '--addr', `127.0.0.1:${server.port}`, '--json', '{"price":100}', '--repeat', '2'])
    expect(r.exitCode).toBe(0)
    await s.waitFor(/"type":"duplicate-response"/)
    const {events, summary} = await interrupt(s)
    const txs = events.filter((e) => e.type === 'transaction')
    const [dup] = events.filter((e) => e.type === 'duplicate-response')
    expect(txs).toHaveLength(2)
    expect(dup.msgId).toBe(txs[0].msgId)
    expect(summary).toMatchObject({requests: 2, paired: 2, duplicateResponses: 1, connections: 1})
  })

  it('flags a server that never closes after the client FIN (rocket)', async () => {
    const rocket = await rocketLikeServer(() => Buffer.from('1a083230323330353134', 'hex'))
    cleanups.push(() => rocket.close())
    // Blamed once the server stayed silent --timeout after the client's FIN, while the capture runs.
    const s = await sniff(rocket.addr.port, ['--timeout', '300'])
    const r = await runCommand(Call, ['Order.makeOrder', '--addr', `127.0.0.1:${rocket.addr.port}`, '--data-hex', '086412056170706c65'])
    expect(r.exitCode).toBe(0)
    await s.waitFor(/"code":"SERVER_NO_FIN"/)
    const {events, summary} = await interrupt(s)
    const w = events.find((e) => e.type === 'warning' && e.code === 'SERVER_NO_FIN')
    expect(w?.server).toBe(`127.0.0.1:${rocket.addr.port}`)
    expect(summary).toMatchObject({paired: 1, serverNoFin: 1})
  })
})
