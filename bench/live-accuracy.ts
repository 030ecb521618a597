// Is live sniff as accurate as reading a file? Calls go through the embedded
// server (src/rpc/server.ts startServer, run as `rpcdiag serve` in its own
// process so that it and the generator each have a core) on lo at a fixed
// rate, open-loop over 16 connections, while two captures run side by side:
//   - live:      rpcdiag sniff -i lo --port P --backend B --json
//   - reference: tcpdump -i lo -w ref.pcap port P, then rpcdiag sniff --read ref.pcap --json
// The table compares the two summaries: counts (requests, responses, paired)
// must be equal, and p50/p99 within 5%. Each rate runs idle and with both
// cores kept busy by a CPU burner child (two spinning threads). Also printed:
// the live capture's kernel drops, truncated packets, gaps and uncertain
// transactions, and the reference tcpdump's own drops (a reference that
// dropped is no reference: its row says so).
//
//   sudo npx tsx bench/live-accuracy.ts [seconds=3] [--backends=dumpcap,cap] [--rates=1000,10000,50000]
// Root: capturing on lo. Noisy on a shared machine: read the figures with the load column.

import {execFileSync, spawn} from 'node:child_process'
import {once} from 'node:events'
import {closeSync, createReadStream, mkdtempSync, openSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {buildDist, ROOT} from './build-dist.js'
import {openLoop} from './open-loop.js'

const opt = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
const SECONDS = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 3)
const BACKENDS = (opt('backends') ?? 'dumpcap,cap').split(',')
const RATES = (opt('rates') ?? '1000,10000,50000').split(',').map(Number)
const CLI = [join(ROOT, 'bin/run.js'), 'sniff']
// Replies seconds late on a loaded machine are still replies: the live clock
// (wall time) and the file's (packet time) must not disagree about a timeout.
const TIMEOUT = '60000'
const tmp = mkdtempSync(join(tmpdir(), 'rpcdiag-live-accuracy-'))

type Json = Record<string, any>

async function lastLine(file: string): Promise<string> {
  let last = ''
  for await (const line of createInterface({input: createReadStream(file)})) if (line !== '') last = line
  return last
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Two threads spinning in one child: both cores busy while it runs. */
function burner() {
  const code = `const {Worker} = require('node:worker_threads'); new Worker('for(;;){}', {eval: true}); for(;;){}`
  return spawn(process.execPath, ['-e', code], {stdio: 'ignore'})
}

async function started(child: ReturnType<typeof spawn>, ready: RegExp, what: string): Promise<() => string> {
  let err = ''
  child.stderr!.on('data', (d) => (err += d))
  for (let i = 0; !ready.test(err); i++) {
    if (child.exitCode !== null || i > 300) throw new Error(`${what} did not start: ${err}`)
    await sleep(50)
  }
  return () => err
}

interface Step {
  sent: number
  elapsed: number
  live: Json
  ref: Json
  refDrops: string
}

async function step(backend: string, rate: number): Promise<Step> {
  const server = spawn(process.execPath, [join(ROOT, 'bin/run.js'), 'serve', '--port', '0', '--proto', join(ROOT, 'examples/order.proto')], {stdio: ['ignore', 'pipe', 'pipe']})
  let said = ''
  server.stdout!.on('data', (d) => (said += d))
  server.stderr!.on('data', (d) => (said += d)) // serve says where it listens on stderr
  for (let i = 0; !/listening on 127\.0\.0\.1:\d+/.test(said); i++) {
    if (server.exitCode !== null || i > 300) throw new Error(`serve did not start: ${said}`)
    await sleep(50)
  }
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(said)![1])
  const addr = {host: '127.0.0.1', port}
  const refFile = join(tmp, 'ref.pcap')
  const liveOut = join(tmp, 'live.ndjson')
  const ref = spawn('tcpdump', ['-i', 'lo', '-s', '262144', '-B', '65536', '-w', refFile, 'tcp', 'and', 'port', String(port)], {stdio: ['ignore', 'ignore', 'pipe']})
  const refErr = await started(ref, /listening on/, 'tcpdump')
  const fd = openSync(liveOut, 'w')
  const live = spawn(process.execPath, [...CLI, '-i', 'lo', '--port', String(port), '--backend', backend, '--json', '--no-processes', '--timeout', TIMEOUT], {stdio: ['ignore', fd, 'pipe']})
  await started(live, /capturing on/, `sniff --backend ${backend}`)

  const load = await openLoop(addr, rate, SECONDS)
  const {sent, elapsed} = load
  // Every call answered (a loaded machine can be seconds behind), at most 60 s.
  await load.settle(60_000)
  load.close()
  // Let both captures hand over their last blocks (tcpdump's libpcap: up to 1 s).
  await sleep(1500)
  live.kill('SIGINT')
  ref.kill('SIGINT')
  await Promise.all([once(live, 'close'), once(ref, 'close')])
  closeSync(fd)
  server.kill('SIGTERM')
  await once(server, 'close')
  const liveSummary = JSON.parse(await lastLine(liveOut)) as Json
  const read = execFileSync(process.execPath, [...CLI, '--read', refFile, '--port', String(port), '--json', '--no-processes', '--timeout', TIMEOUT], {encoding: 'utf8', maxBuffer: 1 << 30})
  const refSummary = JSON.parse(read.trim().split('\n').pop()!) as Json
  const refDrops = /(\d+) packets? dropped by kernel/.exec(refErr())?.[1] ?? '?'
  return {sent, elapsed, live: liveSummary, ref: refSummary, refDrops}
}

function pct(live: number | null | undefined, ref: number | null | undefined): string {
  if (live == null || ref == null || ref === 0) return '-'
  return `${(((live - ref) / ref) * 100).toFixed(1)}%`
}

function within(live: number | null | undefined, ref: number | null | undefined): boolean {
  return live != null && ref != null && ref !== 0 && Math.abs(live - ref) / ref <= 0.05
}

function table(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const r of rows) console.log(r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
}

if (process.getuid?.() !== 0) {
  console.log('live-accuracy: skipped (capturing on lo needs root)')
  process.exit(0)
}
buildDist()
console.log(`node ${process.version}; ${execFileSync('tcpdump', ['--version']).toString().split('\n')[0]}; ${execFileSync('dumpcap', ['--version']).toString().split('\n')[0]}; ${SECONDS} s per step`)
const rows = [
  ['backend', 'load', 'target/s', 'sent/s', 'calls sent', 'live req/resp/paired', 'ref req/resp/paired', 'equal', 'drops', 'ref drops', 'trunc', 'gaps', 'uncertain', 'p50 live', 'p50 ref', 'Δp50', 'p99 live', 'p99 ref', 'Δp99', '≤5%', 'stamps'],
]
for (const backend of BACKENDS) {
  for (const load of ['idle', 'busy'] as const) {
    for (const rate of RATES) {
      const burn = load === 'busy' ? burner() : undefined
      try {
        const s = await step(backend, rate)
        const m = s.live.methods?.['Order.makeOrder'] ?? {}
        const r = s.ref.methods?.['Order.makeOrder'] ?? {}
        const counts = (j: Json) => `${j.requests}/${j.responses}/${j.paired}`
        rows.push([
          backend,
          load,
          rate.toLocaleString('en-US'),
          Math.round(s.sent / s.elapsed).toLocaleString('en-US'),
          String(s.sent),
          counts(s.live),
          counts(s.ref),
          counts(s.live) === counts(s.ref) ? 'yes' : 'NO',
          String(s.live.kernelDrops ?? '-'),
          s.refDrops,
          String(s.live.truncatedPackets ?? '-'),
          String(s.live.gaps),
          String(s.live.uncertain ?? 'n/a'),
          m.p50?.toFixed(3) ?? '-',
          r.p50?.toFixed(3) ?? '-',
          pct(m.p50, r.p50),
          m.p99?.toFixed(3) ?? '-',
          r.p99?.toFixed(3) ?? '-',
          pct(m.p99, r.p99),
          within(m.p50, r.p50) && within(m.p99, r.p99) ? 'yes' : 'NO',
          String(s.live.timestampSource ?? '-'),
        ])
      } catch (e) {
        rows.push([backend, load, String(rate), ...Array(18).fill('-'), `failed: ${(e as Error).message.split('\n')[0]}`])
      } finally {
        burn?.kill('SIGKILL')
      }
      table(rows.slice(-1))
    }
  }
}
console.log('')
table(rows)
rmSync(tmp, {recursive: true, force: true})
