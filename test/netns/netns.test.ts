// --netns on sniff and sockets, against a network namespace the test makes
// (ip netns add, lo up inside), a server started inside with ip netns exec,
// and calls made from inside: traffic only on that namespace's loopback.
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {request} from 'node:http'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {netnsCommandPrefix, netnsProc, resolveNetns} from '../../src/netns/index.js'
import type {SocketsReport} from '../../src/sockets/index.js'
import {parseExposition, total} from '../metrics/exposition.js'
import {type LongRunning, runCli, startCli} from '../rpc/helpers/cli-process.js'

const ROOT = process.getuid?.() === 0
const HAVE_TOOLS = spawnSync('ip', ['netns', 'list'], {stdio: 'ignore'}).status === 0 && spawnSync('nsenter', ['--version'], {stdio: 'ignore'}).status === 0
const NAME = `rpcdiag-test-${process.pid}`
const CLI = ['--import', 'tsx', 'test/rpc/helpers/cli.ts']

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, {encoding: 'utf8', timeout: 10_000})
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`)
}

/** rpcdiag run inside the namespace, to completion. */
function runInside(args: string[]) {
  return runCli(args, {prefix: ['ip', 'netns', 'exec', NAME]})
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve(body))
    })
      .on('error', reject)
      .end()
  })
}

describe.skipIf(!ROOT || !HAVE_TOOLS)('--netns (needs root, ip and nsenter: CI has them)', () => {
  let server: ChildProcess
  let port: number

  beforeAll(async () => {
    spawnSync('ip', ['netns', 'del', NAME], {stdio: 'ignore'})
    ip('netns', 'add', NAME)
    ip('-n', NAME, 'link', 'set', 'lo', 'up')
    // ip netns exec execs node after entering: the child's pid is the server's.
    server = spawn('ip', ['netns', 'exec', NAME, process.execPath, ...CLI, 'serve', '--proto', 'examples/order.proto', '--port', '0', '--json'], {stdio: ['ignore', 'pipe', 'pipe']})
    port = await new Promise<number>((resolve, reject) => {
      let out = ''
      const t = setTimeout(() => reject(new Error(`serve did not start inside ${NAME}: ${out}`)), 30_000)
      server.stdout!.on('data', (d) => {
        out += d
        const m = /"type":"listening".*?"port":(\d+)/.exec(out) ?? /127\.0\.0\.1:(\d+)/.exec(out)
        if (m) {
          clearTimeout(t)
          resolve(Number(m[1]))
        }
      })
      server.once('close', () => reject(new Error(`serve exited inside ${NAME}: ${out}`)))
    })
  }, 60_000)

  afterAll(async () => {
    if (server !== undefined && server.exitCode === null) {
      const closed = new Promise((r) => server.once('close', r))
      server.kill('SIGKILL')
      await closed
    }
    spawnSync('ip', ['netns', 'del', NAME], {stdio: 'ignore'})
  }, 30_000)

  it('resolves a name, a pid and a path to the same namespace, and refuses what is none', () => {
    const byName = resolveNetns(NAME)
    const byPid = resolveNetns(String(server.pid))
    if (!byName.ok || !byPid.ok) throw new Error('not resolved')
    const byPath = resolveNetns(byName.value.path)
    expect(byPath.ok && byPath.value.inode).toBe(byName.value.inode)
    expect(byPid.value.inode).toBe(byName.value.inode)
    expect(netnsCommandPrefix(byName.value)).toEqual(['nsenter', `--net=${byName.value.path}`, '--'])
    for (const bad of [`${NAME}-missing`, '/etc/hostname', '999999999', '']) {
      const r = resolveNetns(bad)
      expect(r.ok || r.error.code).toBe('BAD_NETNS')
    }
  })

  it('reads the namespace tables through a process started inside, stopped after', async () => {
    const ns = resolveNetns(NAME)
    if (!ns.ok) throw ns.error
    const p = await netnsProc(ns.value)
    if (!p.ok) throw p.error
    const {readFileSync, existsSync} = await import('node:fs')
    expect(readFileSync(`${p.value.netDir}/tcp`, 'latin1')).toContain(`:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A`)
    p.value.close()
    for (let i = 0; i < 100 && existsSync(`/proc/${p.value.pid}/net`); i++) await new Promise((r) => setTimeout(r, 20))
    expect(existsSync(`/proc/${p.value.pid}/net`)).toBe(false)
  })

  it('sockets --netns NAME and --netns PID list the listener inside, owned by the server process', async () => {
    for (const spec of [NAME, String(server.pid)]) {
      const r = await runCli(['sockets', '--netns', spec, '--port', String(port), '--json'])
      expect(r.code, r.stderr).toBe(0)
      const report = JSON.parse(r.stdout) as SocketsReport
      const listener = report.sockets.find((s) => s.state === 'LISTEN' && s.localPort === port)
      expect(listener).toMatchObject({localAddress: '127.0.0.1', pid: server.pid, process: 'node'})
    }
    // The host's own table does not have it.
    const host = JSON.parse((await runCli(['sockets', '--port', String(port), '--json'])).stdout) as SocketsReport
    expect(host.sockets.some((s) => s.pid === server.pid)).toBe(false)
  }, 180_000)

  it('sniff --netns captures inside, names the server process, and counts the calls in its metrics', async () => {
    const sniff: LongRunning = startCli(['sniff', '--netns', NAME, '-i', 'lo', '--port', String(port), '--json', '--timeout', '2000', '--metrics', '127.0.0.1:0'])
    try {
      const m = await sniff.waitFor(/serving metrics on (http:\S+\/metrics); capturing on lo via (dumpcap|tcpdump)/, 'stderr')
      for (let i = 0; i < 3; i++) {
        const r = await runInside(['call', 'Order.makeOrder', '--json', '{"price":100,"goods":"apple"}', '--proto', 'examples/order.proto', '--addr', `127.0.0.1:${port}`])
        expect(r.code, r.stderr).toBe(0)
      }
      // tcpdump hands packets over in blocks: wait for the third transaction line.
      await sniff.waitFor(/("type":"transaction"[^\n]*\n[^]*){3}/)
      const samples = parseExposition(await get(m[1]))
      expect(total(samples, 'tinypb_requests_total', {server: `127.0.0.1:${port}`, method: 'makeOrder'})).toBe(3)
      sniff.child.kill('SIGINT')
      const out = await sniff.exited
      const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>)
      const tx = lines.filter((l) => l.type === 'transaction')
      expect(tx).toHaveLength(3)
      expect(tx.some((t) => t.serverProcess?.pid === server.pid)).toBe(true)
      expect(lines.at(-1)).toMatchObject({type: 'summary', requests: 3, paired: 3})
    } finally {
      if (sniff.child.exitCode === null) sniff.child.kill('SIGKILL')
      await sniff.exited
    }
  }, 180_000)

  it('refuses --backend cap with --netns in one line: cap captures in rpcdiag itself', async () => {
    const r = await runCli(['sniff', '--netns', NAME, '-i', 'lo', '--backend', 'cap', '-c', '1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--backend cap captures inside rpcdiag's own process/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  }, 60_000)
})
