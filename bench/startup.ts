// Start-up of the built CLI (./bin/run.js), as whole processes, beside the
// floors and peers measured in the same run. Two issue goals hang on it:
//   issue 3: a one-shot `rpcdiag call` in <= 200 ms wall;
//   issue 6: `rpcdiag sockets --json` <= 1.5x `ss -tanp` (with 10,000
//            loopback connections: bench/sockets.ts; here with whatever this
//            machine has open, so mostly start-up against start-up).
//
// Times with hyperfine -N (no shell) when installed, else a loop of spawnSync
// (median after warm-ups). The call goes to a `rpcdiag serve` this script
// starts on a free port and stops at the end. `node -e 0` is the floor of any
// Node tool; when NODE_EXTRA_CA_CERTS is set, node parses that bundle before
// running anything, so a row without it shows how much of the floor it is.
//
//   npx tsx bench/startup.ts [runs=20] [--no-build]
//
// Builds first (node scripts/build.mjs: the bundle, no type check) unless --no-build.

import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {buildDist} from './build-dist.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const RUNS = Number(positional[0] ?? 20)
const WARMUP = 3
const BUILD = !process.argv.includes('--no-build')
const CALL_GOAL_MS = 200
const SOCKETS_GOAL_RATIO = 1.5

interface Row {
  readonly name: string
  readonly argv: readonly string[]
  readonly env?: NodeJS.ProcessEnv
}

interface Timing {
  readonly median: number
  readonly mean: number
  readonly stddev: number
  readonly min: number
  /** Mean user + system CPU, when the timer reports it: steadier than wall time on a busy machine. */
  readonly cpu?: number
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

function stats(ms: readonly number[]): Timing {
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length
  const stddev = Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ms.length - 1))
  return {median: median(ms), mean, stddev, min: Math.min(...ms)}
}

/** Quoted for hyperfine's -N splitting (POSIX shell words). */
function quote(arg: string): string {
  return /^[\w./:=@,+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`
}

const HYPERFINE = spawnSync('hyperfine', ['--version'], {encoding: 'utf8'}).stdout?.trim() ?? ''

function timeHyperfine(row: Row): Timing {
  const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-startup-'))
  try {
    const out = join(dir, 'out.json')
    const cmd = row.argv.map(quote).join(' ')
    const p = spawnSync('hyperfine', ['-N', '--style', 'none', '--warmup', String(WARMUP), '--runs', String(RUNS), '--export-json', out, cmd], {
      cwd: ROOT,
      env: row.env ?? process.env,
      encoding: 'utf8',
    })
    if (p.status !== 0) throw new Error(`hyperfine failed on ${cmd}:\n${p.stderr}`)
    const r = (JSON.parse(readFileSync(out, 'utf8')) as {results: Array<{times: number[]; user: number; system: number}>}).results[0]
    return {...stats(r.times.map((s) => s * 1000)), cpu: (r.user + r.system) * 1000}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

function timeSpawn(row: Row): Timing {
  const sink = openSync('/dev/null', 'w')
  const times: number[] = []
  try {
    for (let r = 0; r < WARMUP + RUNS; r++) {
      const t0 = performance.now()
      const p = spawnSync(row.argv[0], row.argv.slice(1), {cwd: ROOT, env: row.env ?? process.env, stdio: ['ignore', sink, sink]})
      const ms = performance.now() - t0
      if (p.status !== 0) throw new Error(`${row.argv.join(' ')} exited ${p.status}`)
      if (r >= WARMUP) times.push(ms)
    }
  } finally {
    closeSync(sink)
  }
  return stats(times)
}

/** One run first, so a failing command is reported instead of timed. */
function check(row: Row): void {
  const p = spawnSync(row.argv[0], row.argv.slice(1), {cwd: ROOT, env: row.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  if (p.status !== 0) throw new Error(`${row.argv.join(' ')} exited ${p.status}:\n${p.stdout}\n${p.stderr}`)
}

/** `rpcdiag serve` on a free loopback port; resolves with the port once it listens. */
function startServer(): Promise<{child: ChildProcess; port: number}> {
  const child = spawn('./bin/run.js', ['serve', '--port', '0', '--proto', 'examples/order.proto'], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
  child.stdout!.resume() // one log line per request: read and dropped
  return new Promise((resolve, reject) => {
    let err = ''
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`rpcdiag serve exited ${code} before listening:\n${err}`)))
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      const m = /listening on [\d.]+:(\d+)/.exec(err)
      if (m !== null) resolve({child, port: Number(m[1])})
    })
  })
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000)
    child.once('exit', () => (clearTimeout(force), resolve()))
    child.kill('SIGTERM')
  })
}

function fmt(ms: number): string {
  return `${ms.toFixed(0).padStart(5)} ms`
}

async function main(): Promise<void> {
  if (BUILD) {
    buildDist()
  }
  const server = await startServer()
  try {
    const run = './bin/run.js'
    const rows: Row[] = [
      {name: 'node -e 0 (floor)', argv: ['node', '-e', '0']},
      ...(process.env.NODE_EXTRA_CA_CERTS
        ? [{name: 'node -e 0, NODE_EXTRA_CA_CERTS unset', argv: ['node', '-e', '0'], env: {...process.env, NODE_EXTRA_CA_CERTS: undefined}}]
        : []),
      {name: 'rpcdiag --version', argv: [run, '--version']},
      {name: 'rpcdiag --help', argv: [run, '--help']},
      {
        name: 'rpcdiag call (one-shot)',
        argv: [run, 'call', 'Order.makeOrder', '--json', '{"price":100,"goods":"apple"}', '--proto', 'examples/order.proto', '--addr', `127.0.0.1:${server.port}`],
      },
      {name: 'rpcdiag sockets --port 1 --json', argv: [run, 'sockets', '--port', '1', '--json']},
      {name: 'ss -tanp', argv: ['ss', '-tanp']},
    ]
    console.log(`\nnode ${process.version}; ${HYPERFINE === '' ? 'spawnSync loop (hyperfine not found)' : `${HYPERFINE} -N`}; ${RUNS} runs after ${WARMUP} warm-ups; server on 127.0.0.1:${server.port}`)
    console.log(`${'command'.padEnd(40)}${'median'.padStart(8)}${'mean ± sd'.padStart(17)}${'min'.padStart(9)}${'cpu'.padStart(9)}${'over node'.padStart(11)}`)
    const t = new Map<string, Timing>()
    for (const row of rows) {
      check(row)
      const r = HYPERFINE === '' ? timeSpawn(row) : timeHyperfine(row)
      t.set(row.name, r)
      const over = row.argv[0] === run ? fmt(r.median - t.get('node -e 0 (floor)')!.median) : ''
      const cpu = r.cpu === undefined ? '-' : fmt(r.cpu)
      console.log(`${row.name.padEnd(40)}${fmt(r.median).padStart(8)}${`${fmt(r.mean)} ± ${r.stddev.toFixed(0).padStart(3)}`.padStart(17)}${fmt(r.min).padStart(9)}${cpu.padStart(9)}${over.padStart(11)}`)
    }

    const node = t.get('node -e 0 (floor)')!.median
    const call = t.get('rpcdiag call (one-shot)')!.median
    const sockets = t.get('rpcdiag sockets --port 1 --json')!.median
    const ss = t.get('ss -tanp')!.median
    const version = t.get('rpcdiag --version')!.median
    console.log('\nratios (medians):')
    console.log(
      `  call / ${CALL_GOAL_MS} ms goal           ${(call / CALL_GOAL_MS).toFixed(2)}x  (${call <= CALL_GOAL_MS ? 'met' : `missed by ${(call - CALL_GOAL_MS).toFixed(0)} ms`}; node alone is ${((node / CALL_GOAL_MS) * 100).toFixed(0)}% of it)`,
    )
    console.log(`  sockets --json / ss -tanp   ${(sockets / ss).toFixed(2)}x  (goal <= ${SOCKETS_GOAL_RATIO} with 10,000 connections: bench/sockets.ts)`)
    console.log(`  start-up (--version) / node -e 0  ${(version / node).toFixed(2)}x; oclif + rpcdiag add ${fmt(version - node).trim()}`)
    const caFree = t.get('node -e 0, NODE_EXTRA_CA_CERTS unset')
    if (caFree !== undefined) console.log(`  NODE_EXTRA_CA_CERTS costs every node process ${fmt(node - caFree.median).trim()} here (${process.env.NODE_EXTRA_CA_CERTS})`)
  } finally {
    await stopServer(server.child)
  }
}

await main()
