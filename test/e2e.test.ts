// rpcdiag end to end, as a user runs it: the built ./bin/run.js as a child
// process, nothing in-process. Live capture needs root (CI runs as root).
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, env, type Run, run} from './helpers/built-cli.js'

const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-e2e-'))
const children: ChildProcess[] = []
type Json = Record<string, any>

/** Start a long-running command; resolves once its stderr or stdout matches. */
function background(args: string[], ready: RegExp): Promise<{child: ChildProcess; match: RegExpMatchArray; output: () => Run}> {
  const child = spawn(process.execPath, [BIN, ...args], {env: env(), stdio: ['ignore', 'pipe', 'pipe']})
  children.push(child)
  let stdout = ''
  let stderr = ''
  const output = () => ({code: child.exitCode, stdout, stderr})
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = ready.exec(stdout) ?? ready.exec(stderr)
      if (m) resolve({child, match: m, output})
    }
    child.stdout!.on('data', (d) => ((stdout += d), check()))
    child.stderr!.on('data', (d) => ((stderr += d), check()))
    child.on('exit', (code) => reject(new Error(`${args[0]} exited ${code} before it was ready:\n${stdout}\n${stderr}`)))
  })
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)))
}

beforeAll(() => {
  // The user-facing binary runs the build: make sure it is this tree's.
  execFileSync(process.execPath, ['scripts/build.mjs'], {stdio: 'inherit'})
}, 120_000)

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

describe('rpcdiag end to end', () => {
  it('--help lists every command with a description and an example', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    for (const cmd of ['call', 'demo', 'methods', 'serve', 'sniff', 'sockets']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\s+\\S.*\\n(\\s{4,}.*\\n)*?\\s+\\$ rpcdiag ${cmd}\\b`, 'm'))
    }
    // rpcdiag's command_not_found hook (did you mean; ss words get the sockets line), and the autocomplete plugin's command.
    const typo = await run(['soket'])
    expect(typo.code).toBe(2)
    expect(typo.stderr).toBe('rpcdiag: soket is not a rpcdiag command [UNKNOWN_COMMAND]\nhint: did you mean rpcdiag sockets? (see rpcdiag --help)\n')
    const ss = await run(['state', 'close-wait'])
    expect(ss.stderr).toBe("rpcdiag: state close-wait is ss's filter syntax, not a rpcdiag command [UNKNOWN_COMMAND]\nhint: try: rpcdiag sockets state close-wait\n")
    expect((await run(['autocomplete', '--help'])).code).toBe(0)
    // The hidden command behind completion, from the build.
    expect((await run(['__complete', '--', 'call', '--proto', 'examples/order.proto', ''])).stdout).toBe('Order.makeOrder\n')
  })

  it('demo --json: calls, capture, sockets and a clean exit', async () => {
    const r = await run(['demo', '--json', '--repeat', '50', '--timeout', '500ms'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const d = JSON.parse(r.stdout) as Json
    const port = d.server.port as number
    expect(d.calls.map((c: Json) => [c.status, c.errCode ?? c.error?.code])).toEqual([
      ['ok', 0],
      ['server-error', 10000009],
      ['transport-error', 'CALL_TIMEOUT'],
    ])
    expect(d.calls[0].response.order_id).toBe('20230514')
    expect(d.calls[2].error.causes.join(' ')).toMatch(/never runs done|without running done/)
    expect(d.load).toMatchObject({calls: 50, ok: 50})
    expect(d.capture.ok).toBe(true)
    const s = d.sniff.summary as Json
    expect(s).toMatchObject({requests: 53, responses: 52, paired: 52, unanswered: 1, errorResponses: 1, malformedFrames: 0})
    const types = new Set(d.sniff.events.map((e: Json) => e.type))
    expect([...types].sort()).toEqual(['transaction', 'unanswered'])
    expect(d.sockets.sockets.some((x: Json) => x.state === 'LISTEN' && x.localPort === port && x.pid === d.server.pid)).toBe(true)
    expect(d.sockets.sockets.some((x: Json) => x.state === 'ESTABLISHED' && x.process === 'node')).toBe(true)
    expect(d.cleanup).toMatchObject({ok: true, serverClosed: true, captureStopped: true, leftover: []})
    // Nothing left behind once it exits: no socket on the port owned by any process.
    const after = await run(['sockets', '--port', String(port), '--json'])
    expect(after.code).toBe(0)
    expect((JSON.parse(after.stdout) as Json).sockets.filter((x: Json) => x.pid !== null)).toEqual([])
  })

  it('serve, call against it, sniff --write during the call, sniff --read of that file, sockets --port', async () => {
    const serve = await background(['serve', '--port', '0', '--proto', 'examples/order.proto', '--responses', 'examples/order-responses.json', '--json'], /"address":"127\.0\.0\.1:(\d+)"/)
    const port = serve.match[1]
    const pcap = join(dir, 'call.pcap')
    const sniff = await background(['sniff', '-i', 'lo', '--port', port, '-w', pcap, '--json', '--backend', 'tcpdump'], /capturing on/)

    const call = await run(['call', 'Order.makeOrder', '--json', '{"price":100,"goods":"apple"}', '--proto', 'examples/order.proto', '--addr', `127.0.0.1:${port}`, '--format', 'json'])
    expect(call.code).toBe(0)
    const result = JSON.parse(call.stdout) as Json
    expect(result).toMatchObject({status: 'ok', errCode: 0, response: {ret_code: 0, res_info: '', order_id: '20230514'}})
    expect(result.msgId).toMatch(/^\d{20}$/)
    const poor = await run(['call', 'Order.makeOrder', '--json', '{"price":1,"goods":"pear"}', '--proto', 'examples/order.proto', '--addr', `127.0.0.1:${port}`, '--format', 'json'])
    expect(poor.code).toBe(0)
    expect(JSON.parse(poor.stdout).response).toMatchObject({ret_code: -1, res_info: 'short balance'})

    const sockets = await run(['sockets', '--port', port, '--state', 'listen', '--json'])
    expect(sockets.code).toBe(0)
    const rows = (JSON.parse(sockets.stdout) as Json).sockets as Json[]
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({state: 'LISTEN', localPort: Number(port), pid: serve.child.pid, process: 'node'})
    // The same row through ss's grammar and flags.
    const ssLike = await run(['sockets', '-tlnp', '--json', 'state', 'listening', `( sport = :${port} )`])
    expect(ssLike.code).toBe(0)
    expect((JSON.parse(ssLike.stdout) as Json).sockets).toEqual(rows)

    // Ctrl-C: the capture ends, the file is complete, the summary is the last line.
    await new Promise((r) => setTimeout(r, 1500)) // tcpdump hands packets over in blocks
    sniff.child.kill('SIGINT')
    expect(await exited(sniff.child)).toBe(0)
    const live = sniff.output().stdout.trim().split('\n').map((l) => JSON.parse(l) as Json)
    expect(live.at(-1)).toMatchObject({type: 'summary', requests: 2, paired: 2})
    expect(statSync(pcap).mode & 0o777).toBe(0o600)

    const read = await run(['sniff', '--read', pcap, '--json', '--proto', 'examples/order.proto', '-v'])
    expect(read.code).toBe(0)
    const events = read.stdout.trim().split('\n').map((l) => JSON.parse(l) as Json)
    const summary = events.at(-1)!
    expect(summary).toMatchObject({type: 'summary', requests: 2, responses: 2, paired: 2, unanswered: 0, connections: 2})
    expect(summary.methods['Order.makeOrder']).toMatchObject({count: 2, errors: 0})
    const tx = events.filter((e) => e.type === 'transaction')
    expect(tx.map((t) => t.msgId)).toContain(result.msgId)
    expect(tx.map((t) => t.response.payload.json.order_id)).toContain('20230514')

    serve.child.kill('SIGTERM')
    expect(await exited(serve.child)).toBe(0)
    const log = serve.output().stdout.trim().split('\n').map((l) => JSON.parse(l) as Json)
    expect(log.filter((e) => e.type === 'request').map((e) => e.msgId)).toContain(result.msgId)
    // One timestamp format: serve's ts and sniff's ts are both epoch seconds (numbers of 10 integer digits).
    const served = log.find((e) => e.type === 'request' && e.msgId === result.msgId)!
    const seen = tx.find((t) => t.msgId === result.msgId)!
    for (const ts of [served.ts, seen.ts, seen.response.ts]) expect(String(Math.trunc(ts))).toMatch(/^\d{10}$/)
    expect(served.time).toBeUndefined()
  })

  it('bad input exits 2 with one clear line and no stack trace', async () => {
    const r = await run(['call', 'Order.makeOrdr', '--json', '{}', '--proto', 'examples/order.proto'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Did you mean Order.makeOrder?')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    const s = await run(['sockets', '--state', 'sleeping'])
    expect(s.code).toBe(2)
    expect(s.stderr).toContain('close-wait')
    expect(s.stderr).toMatch(/^rpcdiag: unknown state "sleeping": .* \[BAD_STATE\]\nhint: see rpcdiag sockets --help\n$/)
  })
})
