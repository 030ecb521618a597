// rpcdiag sniff capturing live on lo while real TinyPB traffic runs: `call`
// talking to `serve` (both rpcdiag, as processes), and servers that misbehave
// the way TINYPB.md says rocket does. Live capture needs root (CI runs as root).
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import Call from '../../commands/call.js'
import type {CallResult} from '../../src/rpc/index.js'
import Sniff from '../../commands/sniff.js'
import {runCli, startCli, type LongRunning, watchProcess} from '../rpc/helpers/cli-process.js'
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

/** Any program, watched and killed after the test. */
function run(command: string, args: string[]): LongRunning {
  const p = watchProcess(spawn(command, args, {stdio: ['pipe', 'pipe', 'pipe']}))
  running.push(p)
  return p
}

/** Resolves with `p`'s result, or rejects after `ms`: no wait in a test is unbounded. */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
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

  it('pairs every call of a client reusing its port against a server that leaves sockets in CLOSE_WAIT (tcpdump -w, then --read)', async () => {
    // A server that never closes (rocket) and a client that binds the same local port for each call: the kernel
    // answers each new SYN with a challenge ACK for the stale connection, the client resets it and retries.
    const calls = 3
    const traffic = run(process.execPath, ['test/fixtures/pcap/tinypb-traffic.mjs', '0', String(calls), '127.0.0.1', '--close-wait', '--wait'])
    const port = (await within(10_000, traffic.waitFor(/listening (\d+)/), 'traffic server'))[1]
    const file = join(dir, 'close-wait-reuse.pcap')
    // --immediate-mode: otherwise packets still in the kernel's ring when tcpdump is interrupted are lost.
    const tcpdump = run('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-w', file, `tcp port ${port}`])
    await within(10_000, tcpdump.waitFor(/listening on lo/, 'stderr'), 'tcpdump')
    traffic.child.stdin!.end('go\n')
    const end = await within(20_000, traffic.exited, 'the calls')
    expect(end.code, end.stderr).toBe(0)
    tcpdump.child.kill('SIGINT')
    await within(10_000, tcpdump.exited, 'tcpdump exit')

    // What the kernel did, as tcpdump reads it: every call after the first was reset once and retried.
    const listed = execFileSync('tcpdump', ['-nr', file], {stdio: ['ignore', 'pipe', 'ignore']}).toString()
    expect(listed.match(/Flags \[R\]/g)).toHaveLength(calls - 1)
    expect(listed.match(/Flags \[S\],/g)).toHaveLength(1 + 2 * (calls - 1))

    for (const timeout of ['300', '5000']) {
      const out = await runCommand(Sniff, ['--read', file, '--json', '--timeout', timeout])
      const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Json)
      const summary = lines.at(-1)!
      expect(summary, timeout).toMatchObject({requests: calls, responses: calls, paired: calls, unanswered: 0, uncertain: 0, connections: calls, staleSockets: calls - 1})
      expect(summary.decodedBytes, timeout).toBe(summary.bytes)
      expect(lines.filter((l) => l.type === 'stale-socket').every((l) => l.retried), timeout).toBe(true)
    }
  })
})
