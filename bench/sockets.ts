// `rpcdiag sockets --json` as a whole process beside ss -tanp, netstat -tanp
// and lsof -nP -iTCP, with 10,000 loopback connections open (20,000 sockets:
// both ends are on this machine). Goals: <= 1.5x ss, >= 3x faster than lsof.
//
// Before timing the tools it measures systeminformation, the package the
// issue named as the source, call by call, in a fresh process: that is why
// rpcdiag reads /proc itself. Then it splits rpcdiag's own time into node's
// start, oclif's start and the three phases of collecting.
//
//   npx tsx bench/sockets.ts [connections=10000] [runs=7] [--no-build]
//
// Holding 10,000 connections takes 10,000 descriptors in each of the two
// holder processes; when the soft limit is lower they are started through
// prlimit(1) with a raised one.

import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {closeSync, openSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {collectSockets, parseProcNet, scanSocketOwners} from '../src/sockets/index.js'

import {buildDist} from './build-dist.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const CONNECTIONS = Number(args[0] ?? 10_000)
const RUNS = Number(args[1] ?? 7)
const BUILD = !process.argv.includes('--no-build')

const SERVER = `
const net = require('node:net')
const srv = net.createServer((s) => s.on('error', () => {}))
srv.listen(0, '127.0.0.1', 4096, () => console.log(srv.address().port))
process.stdin.on('end', () => process.exit(0)).resume()
`
const CLIENTS = `
const net = require('node:net')
const [port, n] = process.argv.slice(-2).map(Number)
const held = []
;(async () => {
  for (let i = 0; i < n; i += 500) {
    await Promise.all(Array.from({length: Math.min(500, n - i)}, () => new Promise((ok, fail) => {
      const c = net.connect(port, '127.0.0.1', ok)
      c.on('error', fail)
      held.push(c)
    })))
  }
  console.log(held.length)
})().catch((e) => { console.error(e.message); process.exit(1) })
process.stdin.on('end', () => process.exit(0)).resume()
`

function softNoFile(): number {
  const text = readFileSync('/proc/self/limits', 'utf8')
  const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(text)
  return m === null || m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1])
}

/** Start a node holder; through prlimit when the descriptor limit is too low. */
function holder(script: string, extra: string[], fds: number): Promise<{stop: () => void; line: string}> {
  const direct = softNoFile() >= fds
  const cmd = direct ? process.execPath : 'prlimit'
  const argv = direct ? ['-e', script, '--', ...extra] : [`--nofile=${fds}:${fds}`, '--', process.execPath, '-e', script, '--', ...extra]
  const child = spawn(cmd, argv, {stdio: ['pipe', 'pipe', 'inherit']})
  return new Promise((resolve, reject) => {
    let out = ''
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}${direct ? '' : ' (prlimit may need CAP_SYS_RESOURCE to go above the hard limit)'}`)))
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) resolve({line: out.trim(), stop: () => child.stdin.end()})
    })
  })
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** Wall time of a whole process, stdout to /dev/null like hyperfine -N does; median of RUNS after one warm-up. */
function timeProcess(cmd: string, argv: string[]): {ms: number; min: number; ok: boolean} {
  const sink = openSync('/dev/null', 'w')
  const times: number[] = []
  let ok = true
  try {
    for (let r = 0; r <= RUNS; r++) {
      const t0 = performance.now()
      const p = spawnSync(cmd, argv, {cwd: ROOT, stdio: ['ignore', sink, 'ignore']})
      const ms = performance.now() - t0
      if (p.status !== 0) ok = false
      if (r > 0) times.push(ms)
    }
  } finally {
    closeSync(sink)
  }
  return {ms: median(times), min: Math.min(...times), ok}
}

/** systeminformation call by call, in a fresh process so nothing is cached. */
function measureSystemInformation(): Record<string, number> {
  const script = `
const t0 = performance.now()
const si = await import('systeminformation')
const t1 = performance.now()
const conns = await si.networkConnections()
const t2 = performance.now()
const procs = await si.processes()
const t3 = performance.now()
console.log(JSON.stringify({importMs: t1 - t0, networkConnectionsMs: t2 - t1, rows: conns.length, processesMs: t3 - t2, processes: procs.list.length, udpRows: conns.filter((c) => c.protocol.startsWith('udp')).length}))
`
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  return JSON.parse(out) as Record<string, number>
}

/** rpcdiag's collecting, phase by phase, in this process. */
async function phases(): Promise<Record<string, number>> {
  const best: Record<string, number> = {}
  const keep = (k: string, v: number) => (best[k] = Math.min(best[k] ?? Infinity, v))
  for (let r = 0; r < 3; r++) {
    let t = performance.now()
    const text = readFileSync('/proc/net/tcp', 'latin1')
    keep('read /proc/net/tcp', performance.now() - t)
    t = performance.now()
    const parsed = parseProcNet(text, 'tcp', 4)
    keep('parse it', performance.now() - t)
    t = performance.now()
    scanSocketOwners({wanted: new Set(parsed.sockets.map((s) => s.inode))})
    keep('owner scan (/proc/PID/fd)', performance.now() - t)
    t = performance.now()
    const table = await collectSockets({})
    keep('collectSockets total', performance.now() - t)
    t = performance.now()
    JSON.stringify(table.sockets)
    keep('JSON.stringify rows', performance.now() - t)
  }
  return best
}

function fmt(ms: number): string {
  return `${ms.toFixed(0).padStart(6)} ms`
}

async function main(): Promise<void> {
  if (BUILD) {
    buildDist()
  }
  const fds = CONNECTIONS + 64
  const server = await holder(SERVER, [], fds)
  const port = Number(server.line)
  const clients = await holder(CLIENTS, [String(port), String(CONNECTIONS)], fds)
  try {
    const open = Number(clients.line)
    const ssCount = execFileSync('ss', ['-Htan'], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024}).split('\n').filter(Boolean).length
    console.log(`\n${open} loopback connections to 127.0.0.1:${port} held by two processes; ss -tan sees ${ssCount} TCP sockets`)

    const si = measureSystemInformation()
    console.log('\nsystemInformation, measured first (fresh process):')
    console.log(`  import systeminformation   ${fmt(si.importMs)}`)
    console.log(`  networkConnections()       ${fmt(si.networkConnectionsMs)}  (${si.rows} rows, ${si.udpRows} UDP; runs netstat -tunap | grep, no queues, no inodes)`)
    console.log(`  processes()                ${fmt(si.processesMs)}  (${si.processes} processes)`)
    console.log(`  together                   ${fmt(si.importMs + si.networkConnectionsMs + si.processesMs)}`)

    const p = await phases()
    console.log('\nrpcdiag collecting, in process (best of 3):')
    for (const [k, v] of Object.entries(p)) console.log(`  ${k.padEnd(27)}${fmt(v)}`)

    const node = process.execPath
    const run = `${ROOT}bin/run.js`
    // ss's own filter, the same words to both tools.
    const ssFilter = ['state', 'established', `( sport = :${port} or dport = :${port} )`]
    const rows: Array<[string, string, string[]]> = [
      ['node -e 0 (bare start)', node, ['-e', '0']],
      ['rpcdiag --version (oclif start)', node, [run, '--version']],
      ['rpcdiag sockets --json', node, [run, 'sockets', '--json']],
      ['rpcdiag sockets --json --tcp', node, [run, 'sockets', '--json', '--tcp']],
      ['rpcdiag sockets (table)', node, [run, 'sockets']],
      ['ss -tanp', 'ss', ['-tanp']],
      ['rpcdiag sockets -tanp --json FILTER', node, [run, 'sockets', '-tanp', '--json', ...ssFilter]],
      ['ss -tanp FILTER', 'ss', ['-tanp', ...ssFilter]],
      ['netstat -tanp', 'netstat', ['-tanp']],
      ['lsof -nP -iTCP', 'lsof', ['-nP', '-iTCP']],
    ]
    console.log(`\nwhole processes, stdout to /dev/null, median of ${RUNS} after a warm-up:`)
    const t: Record<string, number> = {}
    for (const [name, cmd, argv] of rows) {
      const r = timeProcess(cmd, argv)
      t[name] = r.ms
      console.log(`  ${name.padEnd(32)}${fmt(r.ms)}  (min ${r.min.toFixed(0)} ms)${r.ok ? '' : '  [non-zero exit]'}`)
    }
    // The same snapshot, checked: every connection found, and the owner of each end named.
    const json = JSON.parse(execFileSync(node, [run, 'sockets', '--json', '--tcp'], {cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024})) as {
      sockets: Array<{localPort: number; peerPort: number; pid: number | null}>
    }
    const ours = json.sockets.filter((r) => r.localPort === port || r.peerPort === port)
    console.log(`  check: rpcdiag --json listed ${json.sockets.length} TCP sockets, ${ours.length} on port ${port}, ${ours.filter((r) => r.pid !== null).length} with a pid`)

    const rpc = t['rpcdiag sockets --json']
    const ss = t['ss -tanp']
    const lsof = t['lsof -nP -iTCP']
    console.log('\nratios:')
    console.log(`  rpcdiag / ss -tanp         ${(rpc / ss).toFixed(2)}x   (goal <= 1.5)`)
    console.log(`  rpcdiag / netstat -tanp    ${(rpc / t['netstat -tanp']).toFixed(2)}x`)
    console.log(`  with ss's filter (FILTER = ${ssFilter.join(' ')}): rpcdiag / ss ${(t['rpcdiag sockets -tanp --json FILTER'] / t['ss -tanp FILTER']).toFixed(2)}x`)
    console.log(`  lsof / rpcdiag             ${(lsof / rpc).toFixed(2)}x faster (goal >= 3)`)
    console.log(`  rpcdiag minus oclif start  ${fmt(rpc - t['rpcdiag --version (oclif start)'])}  vs ss -tanp ${fmt(ss)}: ${((rpc - t['rpcdiag --version (oclif start)']) / ss).toFixed(2)}x`)
    console.log(`  systeminformation / rpcdiag collect  ${((si.importMs + si.networkConnectionsMs + si.processesMs) / p['collectSockets total']).toFixed(1)}x`)
  } finally {
    clients.stop()
    server.stop()
  }
}

await main()
