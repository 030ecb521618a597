import {rmSync} from 'node:fs'
import {connect, createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import type {SocketsReport} from '../../src/sockets/index.js'
import {builtCliForOtherUser, NOBODY, removeReachableDirs} from '../helpers/other-user.js'
import {collectUntil, find, listen, OWN_COMM, type Peer, runCli, spawnPeer, startCli} from './helpers.js'

// `rpcdiag sockets` as a user runs it: a separate process, flags on the
// command line, output and exit code checked.

// Each run starts node with tsx (1-2 s, much more when the two shared cores
// are busy); the limit bounds a hang, it does not measure speed.
vi.setConfig({testTimeout: 180_000, hookTimeout: 60_000})
const me = process.pid
let server: Server & {port: number}
let peer: Peer
let closer: Peer
let unixServer: Server
const unixPath = join(tmpdir(), `rpcdiag-sockets-cli-${me}.sock`)
const sockets: Socket[] = []

beforeAll(async () => {
  server = await listen({allowHalfOpen: true})
  peer = await spawnPeer(['connect', String(server.port)])
  closer = await spawnPeer(['connect', String(server.port), 'end'])
  rmSync(unixPath, {force: true})
  unixServer = await new Promise<Server>((resolve) => {
    const s = createServer()
    s.listen(unixPath, () => resolve(s))
  })
  const cw = closer.info.localPorts![0]
  await collectUntil({filter: {ports: [{from: server.port, to: server.port}]}}, (t) => find(t.sockets, server.port, cw)?.state === 'CLOSE-WAIT')
})

afterAll(async () => {
  for (const s of sockets) s.destroy()
  await Promise.all([peer?.stop(), closer?.stop()])
  server?.close()
  unixServer?.close()
  rmSync(unixPath, {force: true})
  removeReachableDirs()
})

function json(stdout: string): SocketsReport {
  return JSON.parse(stdout) as SocketsReport
}

const isInt = (v: unknown) => Number.isInteger(v)
const isIntOrNull = (v: unknown) => v === null || Number.isInteger(v)
const isStrOrNull = (v: unknown) => v === null || typeof v === 'string'

/** The shape documented in src/sockets/report.ts, checked field by field. */
function expectReportShape(r: Record<string, unknown>): void {
  expect(Object.keys(r).sort()).toEqual(expect.arrayContaining(['collectedAt', 'filter', 'notes', 'processes', 'sockets', 'source', 'summary', 'warnings']))
  expect(new Date(r.collectedAt as string).toISOString()).toBe(r.collectedAt)
  expect(['proc', 'systeminformation']).toContain(r.source)
  expect(typeof r.filter).toBe('string')
  for (const s of r.sockets as Array<Record<string, unknown>>) {
    expect(Object.keys(s).sort()).toEqual(
      ['family', 'inode', 'localAddress', 'localPort', 'owners', 'peerAddress', 'peerPort', 'pid', 'pidMissing', 'process', 'protocol', 'recvQ', 'sendQ', 'state', 'uid'].sort(),
    )
    expect(['tcp', 'udp']).toContain(s.protocol)
    expect([4, 6]).toContain(s.family)
    expect(typeof s.state).toBe('string')
    expect(typeof s.localAddress).toBe('string')
    expect(typeof s.peerAddress).toBe('string')
    for (const k of ['localPort', 'peerPort', 'inode']) expect(isInt(s[k])).toBe(true)
    for (const k of ['recvQ', 'sendQ', 'uid', 'pid']) expect(isIntOrNull(s[k])).toBe(true)
    expect(isStrOrNull(s.process)).toBe(true)
    expect([null, 'kernel', 'permission', 'unseen']).toContain(s.pidMissing)
    for (const o of s.owners as Array<Record<string, unknown>>) {
      expect(Object.keys(o).sort()).toEqual(['fd', 'pid', 'process'])
      expect(isInt(o.pid) && isInt(o.fd) && typeof o.process === 'string').toBe(true)
    }
  }
  const summary = r.summary as Record<string, Record<string, unknown>>
  for (const p of ['tcp', 'udp']) {
    expect(Object.keys(summary[p]).sort()).toEqual(['ipv4', 'ipv6', 'states', 'total'])
    expect(Object.values(summary[p].states as object).every(isInt)).toBe(true)
  }
  expect(Object.keys(summary.queues).sort()).toEqual(['recvQBytes', 'sendQBytes', 'socketsWithRecvQ', 'socketsWithSendQ'])
  expect(Object.keys(summary.pidMissing).sort()).toEqual(['kernel', 'permission', 'unseen'])
  expect(isInt(summary.total)).toBe(true)
  for (const w of r.warnings as Array<Record<string, unknown>>) {
    expect(Object.keys(w).sort()).toEqual(['code', 'count', 'endpoint', 'message', 'pid', 'process', 'severity'])
    expect(['warning', 'info']).toContain(w.severity)
  }
  for (const [pid, p] of Object.entries(r.processes as Record<string, Record<string, unknown>>)) {
    expect(p).toEqual({pid: Number(pid), name: expect.any(String), command: expect.any(String), uid: expect.toSatisfy(isIntOrNull)})
  }
  expect((r.notes as unknown[]).every((n) => typeof n === 'string')).toBe(true)
}

describe('bad filter values', () => {
  const cases: Array<[string[], string]> = [
    [['--state', 'bogus'], 'valid states are listen, established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, close-wait, last-ack, closing, closed'],
    [['--port', '70000'], 'valid values are 0 to 65535'],
    [['--port', 'http'], 'valid values are 0 to 65535'],
    [['--pid', 'x'], 'valid values are process ids'],
    [['--watch', '0'], 'give a duration from 100ms to 24h'],
  ]
  it.each(cases)('%j exits 2 and lists the valid values', async (args, text) => {
    const r = await runCli(args)
    expect(r.code).toBe(2)
    expect(r.stderr.replaceAll(/\s*›\s*/g, ' ')).toContain(text)
    expect(r.stderr).not.toMatch(/\n\s+at /) // one message, no stack trace
    expect(r.stdout).toBe('')
  })

  it('exits 2 on --listen with --state (they contradict)', async () => {
    const r = await runCli(['--listen', '--state', 'established'])
    expect(r.code).toBe(2)
  })

  it('with --json the error is JSON with its code', async () => {
    const r = await runCli(['--json', '--state', 'nope'])
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout).error).toMatchObject({code: 'BAD_STATE'})
  })
})

describe('--json', () => {
  it('prints the documented shape with rows, pids, queues and summary', async () => {
    const r = await runCli(['--json', '--port', String(server.port)])
    expect(r.code).toBe(0)
    const report = json(r.stdout)
    expectReportShape(report as unknown as Record<string, unknown>)
    const est = peer.info.localPorts![0]
    const cw = closer.info.localPorts![0]
    expect(find(report.sockets, server.port, est)).toMatchObject({state: 'ESTABLISHED', pid: me, process: OWN_COMM, recvQ: 0, sendQ: 0})
    expect(find(report.sockets, est, server.port)).toMatchObject({state: 'ESTABLISHED', pid: peer.child.pid, process: 'sockpeer'})
    expect(find(report.sockets, server.port, cw)).toMatchObject({state: 'CLOSE-WAIT', pid: me})
    expect(find(report.sockets, cw, server.port)).toMatchObject({state: 'FIN-WAIT-2', pid: closer.child.pid})
    expect(find(report.sockets, server.port, 0)).toMatchObject({state: 'LISTEN', recvQ: 0, sendQ: 511, pid: me})
    expect(report.summary.tcp.states).toEqual({LISTEN: 1, ESTABLISHED: 2, 'FIN-WAIT-2': 1, 'CLOSE-WAIT': 1})
    expect(report.filter).toBe(`port ${server.port}`)
    expect(report.processes[String(peer.child.pid)]).toMatchObject({name: 'sockpeer'})
  })

  it('--tinypb groups the port by listener: clients, states, queues', async () => {
    const r = await runCli(['--json', '--tinypb', '--port', String(server.port)])
    const [g] = json(r.stdout).groups!
    expect(g).toMatchObject({port: server.port, known: '--port', listener: {pid: me, backlog: 511, acceptQueue: 0}, states: {ESTABLISHED: 1, 'CLOSE-WAIT': 1}})
    expect(g.connections.map((c) => [c.server?.state, c.client?.state, c.client?.process]).sort()).toEqual([
      ['CLOSE-WAIT', 'FIN-WAIT-2', 'sockpeer'],
      ['ESTABLISHED', 'ESTABLISHED', 'sockpeer'],
    ])
  })

  it('--unix lists the Unix socket this test opened, with path and pid', async () => {
    const r = await runCli(['--json', '--unix'])
    const report = json(r.stdout)
    expect(report.sockets).toEqual([])
    expect(report.unix!.find((u) => u.path === unixPath)).toMatchObject({type: 'stream', state: 'LISTEN', pid: me, process: OWN_COMM})
    expect(report.summary.unix!.total).toBe(report.unix!.length)
  })
})

describe('every filter flag', () => {
  const port = () => String(server.port)
  it('--state, --pid, --process, --listen, --tcp, --udp, -4, -6 and port ranges', async () => {
    const argvs = [
      ['--json', '--state', 'close-wait', '--port', port()],
      ['--json', '--pid', String(closer.child.pid)],
      // With the port: live.test.ts may run beside this file with sockpeers of its own.
      ['--json', '--process', 'sockpeer', '--port', port()],
      ['--json', '--listen', '--port', port()],
      ['--json', '--tcp'],
      ['--json', '--udp'],
      ['--json', '-4', '--port', port()],
      ['--json', '-6', '--port', port()],
      ['--json', '--port', `${server.port}-${server.port}`, '--state', 'established,fin-wait-2'],
    ]
    // Two at a time: the machine has two cores and each run starts node and tsx.
    const runs: Awaited<ReturnType<typeof runCli>>[] = []
    for (let i = 0; i < argvs.length; i += 2) runs.push(...(await Promise.all(argvs.slice(i, i + 2).map((a) => runCli(a)))))
    const [state, pid, proc, listening, tcp, udp, four, six, range] = runs.map((r, i) => {
      expect(r.code, `sockets ${argvs[i].join(' ')}: ${r.stderr}`).toBe(0)
      return json(r.stdout).sockets
    })
    expect(state.map((s) => [s.state, s.pid])).toEqual([['CLOSE-WAIT', me]])
    expect(pid.map((s) => [s.state, s.pid])).toEqual([['FIN-WAIT-2', closer.child.pid]])
    expect(new Set(proc.map((s) => s.process))).toEqual(new Set(['sockpeer']))
    expect(proc.length).toBe(2)
    expect(listening.map((s) => [s.state, s.localPort])).toEqual([['LISTEN', server.port]])
    expect(tcp.every((s) => s.protocol === 'tcp') && tcp.length >= 5).toBe(true)
    expect(udp.every((s) => s.protocol === 'udp')).toBe(true)
    expect(four.length).toBe(5)
    expect(six).toEqual([])
    expect(range.map((s) => s.state).sort()).toEqual(['ESTABLISHED', 'ESTABLISHED', 'FIN-WAIT-2'])
  })
})

describe('human output', () => {
  it('prints the table, the per-state summary and the reason a pid is missing', async () => {
    const r = await runCli(['--port', String(server.port)])
    expect(r.code).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toMatch(/^Proto\s+State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port\s+Process$/)
    expect(lines.find((l) => l.includes('CLOSE-WAIT') && l.includes(`${me}/${OWN_COMM}`))).toBeDefined()
    expect(lines.find((l) => l.includes('FIN-WAIT-2') && l.includes(`${closer.child.pid}/sockpeer`))).toBeDefined()
    expect(r.stdout).toContain('Total: 5 sockets (TCP 5, UDP 0)')
    expect(r.stdout).toContain('TCP 5 (IPv4 5, IPv6 0): LISTEN 1, ESTABLISHED 2, FIN-WAIT-2 1, CLOSE-WAIT 1')
  })

  it('--unix prints path, type, state, inode and process', async () => {
    const r = await runCli(['--unix', '--pid', String(me)])
    const line = r.stdout.split('\n').find((l) => l.includes(unixPath))
    expect(line).toMatch(new RegExp(`^stream\\s+LISTEN\\s+\\d+\\s+${unixPath.replaceAll('.', '\\.')}\\s+${me}/${OWN_COMM}$`))
  })

  it('without root, rows of root-owned processes say why the pid is missing', async (ctx) => {
    // Switching to uid 65534 needs root; CI runs as root.
    if (process.getuid!() !== 0) ctx.skip()
    // nobody may not enter this checkout (a clone in /root is mode 0700): run the built CLI from a copy it can read.
    const bin = builtCliForOtherUser()
    const as = {uid: NOBODY, gid: NOBODY, bin}
    const r = await runCli(['--port', String(server.port)], as)
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n').find((l) => l.includes('LISTEN'))).toContain('? uid 0: run as root')
    expect(r.stdout).toContain('of other users (run as root to see)')
    const j = await runCli(['--json', '--port', String(server.port)], as)
    const rows = json(j.stdout).sockets.filter((s) => s.localPort === server.port)
    expect(rows.length).toBe(3)
    for (const s of rows) expect(s).toMatchObject({pid: null, process: null, pidMissing: 'permission', uid: 0})
  })
})

describe('--watch', () => {
  interface Step {
    readonly when: (out: string) => boolean
    readonly then?: () => Promise<void> | void
  }

  /**
   * Run a watch and drive it by what it prints: each step waits for its text,
   * then acts (open a connection, close it). Nothing depends on how long a
   * refresh takes; the test timeout is the only bound.
   */
  async function driveWatch(args: string[], steps: Step[]): Promise<{out: string; code: number | null}> {
    const child = startCli(args)
    let out = ''
    let next = 0
    let busy = false
    const finished = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
    const driven = new Promise<void>((resolve, reject) => {
      const advance = async () => {
        if (busy) return
        busy = true
        try {
          while (next < steps.length && steps[next].when(out)) await steps[next++].then?.()
        } catch (error) {
          reject(error)
        }
        busy = false
        if (next === steps.length) resolve()
      }
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        void advance()
      })
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
      child.once('close', () => reject(new Error(`watch exited early:\n${out}`)))
    })
    try {
      await driven
    } catch (error) {
      child.kill('SIGKILL')
      throw error
    }
    child.kill('SIGINT')
    return {out, code: await finished}
  }

  it('redraws and shows new connections and state changes', async () => {
    const watched = await listen()
    let s: Socket | undefined
    // Kept at connect: a closed socket forgets its localPort.
    let port = -1
    const local = () => port
    const {out, code} = await driveWatch(
      ['--watch', '0.2', '--port', String(watched.port)],
      [
        {
          when: (o) => o.includes('refresh 1'),
          then: async () => {
            s = connect({host: '127.0.0.1', port: watched.port})
            sockets.push(s)
            await new Promise((r) => s!.once('connect', r))
            port = s.localPort!
          },
        },
        {
          when: (o) => o.includes(`+ tcp 127.0.0.1:${local()} -> 127.0.0.1:${watched.port} ${me}/${OWN_COMM} [ESTABLISHED]`),
          // Close from this side: the server end goes away, ours turns into TIME-WAIT.
          then: () => {
            s!.end()
            s!.resume()
          },
        },
        // A refresh may catch FIN-WAIT-2 on the way, so the change may come from either state.
        {when: (o) => new RegExp(`~ tcp 127\\.0\\.0\\.1:${local()} -> 127\\.0\\.0\\.1:${watched.port} - kernel (ESTABLISHED|FIN-WAIT-2) -> TIME-WAIT`).test(o)},
      ],
    )
    watched.close()
    expect(out).toMatch(/Every 0\.2s: rpcdiag sockets \(port \d+\) {2}\d\d:\d\d:\d\d {2}refresh 1/)
    expect(out).toMatch(/Proto\s+State\s+Recv-Q/)
    expect(out).toContain(`- tcp 127.0.0.1:${watched.port} -> 127.0.0.1:${local()} ${me}/${OWN_COMM} [`)
    expect(out).toMatch(/Changes since the last refresh: \d+ new, \d+ closed, \d+ changed state/)
    expect(code).toBe(0)
  })

  it('--json prints one object per refresh with its changes', async () => {
    const watched = await listen()
    let local = -1
    const {out, code} = await driveWatch(
      ['--watch', '0.2', '--json', '--port', String(watched.port)],
      [
        {
          when: (o) => o.includes('"tick":1'),
          then: async () => {
            const s = connect({host: '127.0.0.1', port: watched.port})
            sockets.push(s)
            await new Promise((r) => s.once('connect', r))
            local = s.localPort!
          },
        },
        {when: (o) => o.includes(`"kind":"new","row":{"protocol":"tcp","family":4,"state":"ESTABLISHED","localAddress":"127.0.0.1","localPort":${local}`)},
      ],
    )
    watched.close()
    const ticks = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SocketsReport & {tick: number; changes: Array<{kind: string}>})
    expect(ticks.map((t) => t.tick)).toEqual(ticks.map((_, i) => i + 1))
    expect(ticks[0].changes).toEqual([])
    for (const t of ticks) expectReportShape(t as unknown as Record<string, unknown>)
    expect(code).toBe(0)
  })
})
