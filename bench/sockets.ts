// `rpcdiag sockets --json` as a whole process beside `ss -tanp` and
// `lsof -nP -iTCP`, timed in the same rounds (interleaved), with N loopback
// sockets open (N/2 connections to 127.0.0.1, both ends on this machine), for
// each N of a series, and once more with 1,000 processes owning sockets.
// Goals (issue 14): <= 1.3x ss, >= 2x faster than lsof, cost linear in
// sockets + fds. It also splits rpcdiag's collecting into its phases, in this
// process.
//
//   npx tsx bench/sockets.ts [sockets=10000,30000,100000] [runs=5] [--processes=1000] [--no-build] [--before=DIR]
//
// --before=DIR also times DIR's bin (another checkout, built) in the same
// rounds, so a change is read against its base under the same machine load.
//
// Holders: node processes that each hold up to C connections (server and
// client ends in one process, on a port of their own), C set by the file
// descriptor limit: the bench raises its soft RLIMIT_NOFILE to the hard limit
// for them (prlimit). The 1,000-process case hands 5 sockets each to 1,000
// `sleep` processes (their fds 3-7), as a pre-forking server's workers hold
// the sockets they inherited.
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'

import {openLibc} from '../src/net/libc.js'
import {collectSockets, openSockDiag, ProcReader, parseProcNet, scanSocketOwners} from '../src/sockets/index.js'

import {buildDist, ROOT, rpcdiagCommand, rpcdiagSpawn} from './build-dist.js'
import {median, ms, type ProcessRow, timeInterleaved} from './timing.js'

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const SIZES = (positional[0] ?? '10000,30000,100000').split(',').map(Number)
const RUNS = Number(positional[1] ?? 5)
const PROCESSES = Number(/--processes=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 1000)
const BUILD = !process.argv.includes('--no-build')
// Another build of rpcdiag (a checkout of main, built) timed in the same rounds: before/after on a shared machine.
const BEFORE = /--before=(\S+)/.exec(process.argv.join(' '))?.[1]?.replace(/\/$/, '')
const SOCKETS_PER_SLEEPER = 5

// One holder: a listener and `n` connections to it; with `sleepers`, that many
// `sleep` processes each inheriting SOCKETS_PER_SLEEPER of the client sockets.
const HOLDER = `
const net = require('node:net')
const {spawn} = require('node:child_process')
const [n, sleepers, each] = process.argv.slice(-3).map(Number)
const held = [], kids = []
const srv = net.createServer((s) => { s.on('error', () => {}); held.push(s) })
srv.listen(0, '127.0.0.1', 4096, async () => {
  const port = srv.address().port
  for (let i = 0; i < n; i += 500) {
    await Promise.all(Array.from({length: Math.min(500, n - i)}, () => new Promise((ok, fail) => {
      const c = net.connect(port, '127.0.0.1', ok)
      c.on('error', fail)
      held.push(c)
    })))
  }
  for (let k = 0; k < sleepers; k++) {
    const fds = held.slice(k * each, (k + 1) * each)
    kids.push(spawn('sleep', ['3600'], {stdio: ['ignore', 'ignore', 'ignore', ...fds]}))
  }
  console.log(port)
})
// Reset, not closed: a close would leave each connection in TIME-WAIT for 60 s, rows of the next scenario.
const stop = () => { for (const k of kids) k.kill('SIGKILL'); for (const s of held) s.resetAndDestroy(); setTimeout(() => process.exit(0), 200) }
process.stdin.on('end', stop).resume()
process.on('SIGTERM', stop)
`

function nofileLimits(): {soft: number; hard: number} {
  const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'))
  const n = (v: string | undefined) => (v === undefined || v === 'unlimited' ? 1_048_576 : Number(v))
  return {soft: n(m?.[1]), hard: n(m?.[2])}
}

interface Holder {
  readonly child: ChildProcess
  readonly port: number
}

/** Start a holder of n connections, through prlimit with the soft limit raised to the hard one. */
function startHolder(n: number, sleepers: number): Promise<Holder> {
  const {hard} = nofileLimits()
  const child = spawn('prlimit', [`--nofile=${hard}:${hard}`, '--', process.execPath, '-e', HOLDER, '--', String(n), String(sleepers), String(SOCKETS_PER_SLEEPER)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.once('exit', (code) => reject(new Error(`holder of ${n} connections exited with ${code}`)))
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) resolve({child, port: Number(out.trim())})
    })
  })
}

function stopHolder(h: Holder): Promise<void> {
  if (h.child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    h.child.once('exit', () => resolve())
    h.child.stdin!.end()
  })
}

/** Holders for `sockets` sockets (half as many connections), each within the descriptor limit. */
async function holdSockets(sockets: number, sleepers: number): Promise<Holder[]> {
  const perHolder = Math.floor((nofileLimits().hard - 200) / 2)
  const connections = Math.ceil(sockets / 2)
  const holders: Holder[] = []
  for (let left = connections; left > 0; left -= perHolder) {
    holders.push(await startHolder(Math.min(perHolder, left), holders.length === 0 ? sleepers : 0))
  }
  return holders
}

/** rpcdiag's collecting, phase by phase, in this process (best of 3). */
async function phases(): Promise<Record<string, number>> {
  const best: Record<string, number> = {}
  const keep = (k: string, v: number) => (best[k] = Math.min(best[k] ?? Infinity, v))
  const reader = new ProcReader()
  const libc = await openLibc()
  for (let r = 0; r < 3; r++) {
    let t = performance.now()
    const bytes = reader.read('/proc/net/tcp')!
    keep('read /proc/net/tcp', performance.now() - t)
    t = performance.now()
    const parsed = parseProcNet(bytes, 'tcp', 4)
    keep('parse it', performance.now() - t)
    // What collectSockets reads instead, where netlink can be had: the same table as records.
    t = performance.now()
    const diag = openSockDiag(libc)
    if (typeof diag === 'object') {
      diag.dump('tcp', 4)
      diag.close()
      keep('netlink dump of tcp instead', performance.now() - t)
    }
    t = performance.now()
    // Through libc where koffi can be had, as collectSockets walks.
    scanSocketOwners({wanted: parsed.sockets.map((s) => s.inode), libc})
    keep('owner scan (/proc/PID/fd)', performance.now() - t)
    t = performance.now()
    const table = await collectSockets({backlog: false})
    keep('collectSockets total (netlink)', performance.now() - t)
    t = performance.now()
    JSON.stringify(table.sockets)
    keep('JSON.stringify rows', performance.now() - t)
  }
  return best
}

function countFds(): {fds: number; processes: number} {
  let fds = 0
  let processes = 0
  for (const pid of execFileSync('ls', ['/proc'], {encoding: 'utf8'}).split('\n').filter((p) => /^\d+$/.test(p))) {
    try {
      fds += execFileSync('ls', [`/proc/${pid}/fd`], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).split('\n').filter(Boolean).length
      processes++
    } catch {
      // gone, or not ours to read
    }
  }
  return {fds, processes}
}

interface Scenario {
  readonly label: string
  readonly sockets: number
  readonly sleepers: number
}

interface Measured {
  readonly label: string
  readonly sockets: number
  readonly fds: number
  readonly rpcdiag: number
  /** --before's build, in the same rounds. */
  readonly before?: number
  readonly start: number
  readonly ss: number
  readonly lsof: number
  readonly cpu: {readonly rpcdiag: number; readonly before?: number; readonly ss: number; readonly lsof: number}
}

async function measure(s: Scenario): Promise<Measured> {
  await waitForOthersTimeWait()
  const holders = await holdSockets(s.sockets, s.sleepers)
  try {
    const tcp = execFileSync('ss', ['-Htan'], {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024}).split('\n').filter(Boolean).length
    const {fds, processes} = countFds()
    console.log(`\n${s.label}: ${holders.length} holder(s); ss -tan sees ${tcp} TCP sockets; ${processes} processes with ${fds} open fds`)

    const p = await phases()
    console.log('  rpcdiag collecting, in this process (best of 3):')
    for (const [k, v] of Object.entries(p)) console.log(`    ${k.padEnd(27)}${ms(v)} ms`)

    const rpcdiag = rpcdiagCommand()
    const rows: ProcessRow[] = [
      {name: 'node -e 0', argv: [process.execPath, '-e', '0']},
      {name: 'rpcdiag --version', argv: [...rpcdiag, '--version']},
      {name: 'rpcdiag sockets --json', argv: [...rpcdiag, 'sockets', '--json']},
      ...(BEFORE === undefined ? [] : [{name: 'before sockets --json', argv: [...rpcdiagCommand(BEFORE), 'sockets', '--json']}]),
      {name: 'ss -tanp', argv: ['ss', '-tanp']},
      {name: 'lsof -nP -iTCP', argv: ['lsof', '-nP', '-iTCP']},
    ]
    const t = timeInterleaved(rows, RUNS, ROOT)
    console.log(`  whole processes, output to /dev/null; median of ${RUNS} interleaved rounds after a warm-up (wall / CPU ms):`)
    for (const r of rows) {
      const x = t.get(r.name)!
      console.log(`    ${r.name.padEnd(26)} wall ${ms(median(x.wall))}  (min ${ms(Math.min(...x.wall))})  cpu ${ms(median(x.cpu))}`)
    }
    // The same snapshot, checked: each held connection found with an owner at both ends.
    const json = JSON.parse(execFileSync(...rpcdiagSpawn(['sockets', '--json', '--tcp']), {encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024})) as {
      sockets: Array<{localPort: number; peerPort: number; pid: number | null; owners: unknown[]}>
    }
    const ports = new Set(holders.map((h) => h.port))
    const ours = json.sockets.filter((r) => ports.has(r.localPort) || ports.has(r.peerPort))
    const shared = ours.filter((r) => r.owners.length > 1).length
    console.log(`    check: ${ours.length} sockets on the holders' ports, ${ours.filter((r) => r.pid !== null).length} with a pid, ${shared} with more than one owner`)
    const w = (name: string) => median(t.get(name)!.wall)
    const c = (name: string) => median(t.get(name)!.cpu)
    const before = BEFORE === undefined ? {} : {before: w('before sockets --json')}
    return {
      label: s.label,
      sockets: tcp,
      fds,
      rpcdiag: w('rpcdiag sockets --json'),
      ...before,
      start: w('rpcdiag --version'),
      ss: w('ss -tanp'),
      lsof: w('lsof -nP -iTCP'),
      cpu: {rpcdiag: c('rpcdiag sockets --json'), ...(BEFORE === undefined ? {} : {before: c('before sockets --json')}), ss: c('ss -tanp'), lsof: c('lsof -nP -iTCP')},
    }
  } finally {
    for (const h of holders) await stopHolder(h)
  }
}

/** Sockets in TIME-WAIT on this machine (/proc/net/sockstat's "tw"). */
function timeWaitSockets(): number {
  return Number(/\btw (\d+)/.exec(readFileSync('/proc/net/sockstat', 'latin1'))?.[1] ?? 0)
}

/**
 * A scenario must time its own sockets: TIME-WAIT entries another run left
 * (bench/call.ts's connection-per-call runs leave tens of thousands) are
 * listed too, and a 10k scenario measured 48k sockets. Waits, up to the
 * kernel's 60 s TIME-WAIT and a little more, for them to expire; says so if
 * they have not.
 */
async function waitForOthersTimeWait(): Promise<void> {
  const most = 1000
  const until = Date.now() + 70_000
  let tw = timeWaitSockets()
  if (tw <= most) return
  process.stdout.write(`waiting for ${tw} TIME-WAIT sockets left by earlier runs to expire ... `)
  while (tw > most && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 1000))
    tw = timeWaitSockets()
  }
  console.log(tw <= most ? 'done' : `${tw} still there after 70 s: the scenarios below include them`)
}

async function main(): Promise<void> {
  if (BUILD) buildDist()
  const {soft, hard} = nofileLimits()
  console.log(`node ${process.version}; RLIMIT_NOFILE ${soft}/${hard} (holders run with ${hard}); the machine may be shared with other work: compare within a scenario`)
  const scenarios: Scenario[] = [
    ...SIZES.map((n) => ({label: `${n} sockets`, sockets: n, sleepers: 0})),
    ...(PROCESSES > 0 ? [{label: `${SIZES[0]} sockets, ${PROCESSES} more processes owning ${SOCKETS_PER_SLEEPER} each`, sockets: SIZES[0], sleepers: PROCESSES}] : []),
  ]
  const results = []
  for (const s of scenarios) results.push(await measure(s))

  console.log('\nsummary (wall medians, ms; per socket: minus the start-up, over the TCP sockets):')
  console.log(`  ${'scenario'.padEnd(52)}${'rpcdiag'.padStart(8)}${'ss'.padStart(7)}${'lsof'.padStart(7)}  rpcdiag/ss  lsof/rpcdiag  µs/socket rpcdiag, ss`)
  for (const r of results) {
    const per = ((r.rpcdiag - r.start) * 1000) / r.sockets
    console.log(
      `  ${r.label.padEnd(52)}${ms(r.rpcdiag).padStart(8)}${ms(r.ss).padStart(7)}${ms(r.lsof).padStart(7)}  ${(r.rpcdiag / r.ss).toFixed(2).padStart(9)}x  ${(r.lsof / r.rpcdiag).toFixed(2).padStart(11)}x  ${per.toFixed(1).padStart(8)}, ${((r.ss * 1000) / r.sockets).toFixed(1)}`,
    )
    if (r.before !== undefined) {
      console.log(`  ${'  before (--before build, same rounds)'.padEnd(52)}${ms(r.before).padStart(8)}${''.padStart(14)}  ${(r.before / r.ss).toFixed(2).padStart(9)}x  ${(r.lsof / r.before).toFixed(2).padStart(11)}x`)
    }
  }
  console.log('\nCPU (user+sys medians, ms; a machine shared with other work disturbs it less than wall time):')
  console.log(`  ${'scenario'.padEnd(52)}${'rpcdiag'.padStart(8)}${'before'.padStart(8)}${'ss'.padStart(7)}${'lsof'.padStart(7)}  rpcdiag/ss  lsof/rpcdiag`)
  for (const r of results) {
    console.log(
      `  ${r.label.padEnd(52)}${ms(r.cpu.rpcdiag).padStart(8)}${(r.cpu.before === undefined ? '    -' : ms(r.cpu.before)).padStart(8)}${ms(r.cpu.ss).padStart(7)}${ms(r.cpu.lsof).padStart(7)}  ${(r.cpu.rpcdiag / r.cpu.ss).toFixed(2).padStart(9)}x  ${(r.cpu.lsof / r.cpu.rpcdiag).toFixed(2).padStart(11)}x`,
    )
  }
  console.log('  goals: rpcdiag/ss <= 1.3; lsof/rpcdiag >= 2; µs per socket flat across the series (linear cost)')
}

await main()
