// rpcdiag sniff against tcpdump and tshark, in the same run.
//
// 1. Reading a file: pcaps of N TinyPB calls (bench/sniff-pcap.ts: long and
//    per-call connections, replies cut at the MSS, two requests in one
//    segment, delayed ACKs) read by `rpcdiag sniff --read FILE`, `tcpdump -nr
//    FILE` and `tshark -r FILE`, output to /dev/null. Wall time (median of the
//    rounds), CPU and peak RSS from /usr/bin/time; ratios. A scaling series
//    (N/4, N/2, N calls: a tenth of them on a connection of their own) shows
//    whether time grows linearly and memory stays flat as closed connections
//    pile up. Then N calls with a connection each (bench/per-call-pcap.ts,
//    10 packets per call: the shape of issue 14's 2M-packet row).
//    rpcdiag renders every line, as tcpdump does, to /dev/null
//    and, in a second row, to a file (the cost of the writes themselves).
//    rpcdiag's summary is checked first: every call paired, nothing lost.
// 2. Live on lo (root only): calls at a rising rate through one capture path
//    (dumpcap, tcpdump, then cap), until sniff misses a frame; the highest
//    rate with nothing lost, per path. bench/live-accuracy.ts compares the
//    live figures with a reference tcpdump -w of the same traffic.
//
//   npm run build && npx tsx bench/sniff.ts [calls=200000] [rounds=3] [--no-live] [--no-tshark] [--no-series] [--no-per-call] [--before=DIR]
//
// --before=DIR also times DIR's bin (another checkout, built: main, say)
// in the same rounds, so a change is measured against what it changes under
// the same load.
// The pcaps are kept in $TMPDIR/rpcdiag-bench/ between runs (about 160 MB for 200k calls).

import {execFileSync, spawn} from 'node:child_process'
import {once} from 'node:events'
import {closeSync, createReadStream, existsSync, mkdirSync, openSync, rmSync, statSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {encodeFrame, type TinyPbFrame, type TinyPbMessage} from '../decoders/tinypb/index.js'
import {TcpServer, TinyPbCoder} from '../src/net/index.js'
import {openLoop} from './open-loop.js'
import {generatePerCallPcap} from './per-call-pcap.js'
import {type GeneratedCapture, generateSniffPcap} from './sniff-pcap.js'

import {buildDist, rpcdiagCommand, rpcdiagSpawn} from './build-dist.js'
import {median, type Timed, timed} from './gnu-time.js'

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const CALLS = Number(args[0] ?? 200_000)
const ROUNDS = Number(args[1] ?? 3)
const LIVE = !process.argv.includes('--no-live')
const TSHARK = !process.argv.includes('--no-tshark')
const SERIES = !process.argv.includes('--no-series')
const PER_CALL = !process.argv.includes('--no-per-call')
const BEFORE = /--before=(\S+)/.exec(process.argv.join(' '))?.[1]
/** rpcdiag sniff as users start it. */
const CLI = [...rpcdiagCommand(), 'sniff']
/** Issue 14's goals for sniff --read. */
const GOAL = {tcpdump: 0.5, tshark: 8, rssMb: 120}

async function lastLine(file: string): Promise<string> {
  let last = ''
  for await (const line of createInterface({input: createReadStream(file)})) if (line !== '') last = line
  return last
}

const fmt = (n: number, d = 2) => n.toFixed(d)

interface SizeResult {
  calls: number
  packets: number
  connections: number
  mb: number
  results: Map<string, Timed>
}

const US = 'rpcdiag sniff --read'
const US_FILE = 'rpcdiag sniff --read > file'
const TCPDUMP = 'tcpdump -nr'
const TSHARK_R = 'tshark -r'
const BEFORE_US = 'before: rpcdiag sniff --read'

/**
 * The captures read: `mixed` (bench/sniff-pcap.ts: long-lived connections with
 * several calls in flight, a tenth of the calls on a connection of their own)
 * and `per-call` (bench/per-call-pcap.ts: a connection and 10 packets per
 * call, as rocket's client makes them: the shape of issue 14's 2M-packet row).
 */
const SHAPES: Record<'mixed' | 'per-call', {label: string; generate: (file: string, calls: number) => GeneratedCapture}> = {
  mixed: {label: 'mixed: long-lived connections, a tenth of the calls on their own', generate: generateSniffPcap},
  'per-call': {label: "a connection per call (rocket's client), 10 packets per call", generate: generatePerCallPcap},
}

async function fileBench(calls: number, rounds: number, shape: keyof typeof SHAPES = 'mixed'): Promise<SizeResult> {
  const dir = join(tmpdir(), 'rpcdiag-bench')
  mkdirSync(dir, {recursive: true})
  const file = join(dir, shape === 'mixed' ? `sniff-${calls}.pcap` : `sniff-${shape}-${calls}.pcap`)
  console.log(`
capture: ${SHAPES[shape].label}`)
  if (!existsSync(file)) {
    const t0 = performance.now()
    const g = SHAPES[shape].generate(file, calls)
    console.log(`generated ${file}: ${g.calls} calls, ${g.packets} packets, ${(g.bytes / 1e6).toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }
  const size = statSync(file).size

  // Correctness first: the summary of a --json run (read to its last line only).
  const out = join(dir, `sniff-${calls}.ndjson`)
  const fd = openSync(out, 'w')
  const check = spawn(...rpcdiagSpawn(['sniff', '--read', file, '--json']), {stdio: ['ignore', fd, 'inherit']})
  const [code] = await once(check, 'close')
  closeSync(fd)
  const summary = JSON.parse(await lastLine(out))
  rmSync(out)
  const ok = code === 0 && summary.requests === calls && summary.paired === calls && summary.unanswered === 0 && summary.gaps === 0 && summary.malformedFrames === 0
  console.log(
    `check: ${summary.requests} requests, ${summary.paired} paired, ${summary.unanswered} unanswered, ${summary.gaps} gaps, ${summary.malformedFrames} malformed, ${summary.connections} connections, ${summary.packets} packets: ${ok ? 'ok' : 'WRONG'}`,
  )
  if (!ok) process.exitCode = 1

  const lines = join(dir, `sniff-${calls}.txt`)
  const tools: Array<[string, string[], number, string?]> = [
    [US, [...CLI, '--read', file], rounds],
    [US_FILE, [...CLI, '--read', file], rounds, lines],
    [TCPDUMP, ['tcpdump', '-nr', file], rounds],
  ]
  if (BEFORE !== undefined) tools.push([BEFORE_US, [...rpcdiagCommand(BEFORE), 'sniff', '--read', file], rounds])
  if (TSHARK) tools.push([TSHARK_R, ['tshark', '-r', file], 1])
  const results = new Map<string, Timed>()
  // Rounds interleave the tools, so a burst of load elsewhere on the machine hits them alike.
  const runs = new Map<string, Timed[]>(tools.map(([name]) => [name, []]))
  for (let r = 0; r < rounds; r++) for (const [name, argv, n, stdout] of tools) if (r < n) runs.get(name)!.push(timed(argv, stdout))
  rmSync(lines, {force: true})
  for (const [name, rs] of runs) results.set(name, median(rs))
  console.log(`\nfile: ${(size / 1e6).toFixed(0)} MB, ${summary.packets} packets, ${calls} calls, ${summary.connections} connections; wall time is the median of ${rounds} (tshark: 1); output to /dev/null`)
  console.log(`machine load (1/5/15 min) after these rounds: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  const rows = [['tool', 'wall s', 'user s', 'sys s', 'peak RSS MB', 'packets/s']]
  for (const [name, t] of results) rows.push([name, fmt(t.wall), fmt(t.user), fmt(t.sys), fmt(t.rssMb, 0), Math.round(summary.packets / t.wall).toLocaleString('en-US')])
  table(rows)
  const us = results.get(US)!
  const td = results.get(TCPDUMP)!
  console.log(`\nrpcdiag / tcpdump wall time: ${fmt(us.wall / td.wall)}x, CPU ${fmt((us.user + us.sys) / (td.user + td.sys))}x (goal: at most ${GOAL.tcpdump}x)`)
  const ts = results.get(TSHARK_R)
  if (ts !== undefined) console.log(`tshark / rpcdiag wall time: ${fmt(ts.wall / us.wall)}x, CPU ${fmt((ts.user + ts.sys) / (us.user + us.sys))}x (goal: at least ${GOAL.tshark}x)`)
  console.log(`rpcdiag peak RSS: ${fmt(us.rssMb, 0)} MB (goal: at most ${GOAL.rssMb} MB)`)
  const before = results.get(BEFORE_US)
  if (before !== undefined) {
    console.log(
      `before (${BEFORE}): ${fmt(before.wall)} s, CPU ${fmt(before.user + before.sys)} s, ${fmt(before.rssMb, 0)} MB; / tcpdump ${fmt(before.wall / td.wall)}x; now / before: wall ${fmt(us.wall / before.wall)}x, CPU ${fmt((us.user + us.sys) / (before.user + before.sys))}x`,
    )
  }
  return {calls, packets: summary.packets, connections: summary.connections, mb: size / 1e6, results}
}

/** The same figures over growing captures: time should grow with the packets, memory not at all. */
function seriesTable(sizes: SizeResult[]): void {
  console.log('\nscaling series (wall s / CPU s / peak RSS MB; ratios of wall time)')
  const rows = [['calls', 'conns', 'packets', 'rpcdiag', 'rpcdiag > file', 'tcpdump -nr', 'tshark -r', 'us/tcpdump', 'tshark/us', 'us RSS/conn growth']]
  const first = sizes[0]
  for (const s of sizes) {
    const cell = (name: string) => {
      const t = s.results.get(name)
      return t === undefined ? '-' : `${fmt(t.wall)} / ${fmt(t.user + t.sys)} / ${fmt(t.rssMb, 0)}`
    }
    const us = s.results.get(US)!
    const td = s.results.get(TCPDUMP)!
    const ts = s.results.get(TSHARK_R)
    const growth = s === first ? '-' : `${(((us.rssMb - first.results.get(US)!.rssMb) * 1024) / (s.connections - first.connections)).toFixed(2)} KB`
    rows.push([
      s.calls.toLocaleString('en-US'),
      s.connections.toLocaleString('en-US'),
      s.packets.toLocaleString('en-US'),
      cell(US),
      cell(US_FILE),
      cell(TCPDUMP),
      cell(TSHARK_R),
      `${fmt(us.wall / td.wall)}x`,
      ts === undefined ? '-' : `${fmt(ts.wall / us.wall)}x`,
      growth,
    ])
  }
  table(rows)
}

function table(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
}

/** A TinyPB server answering every request at once, and an open-loop client sending `rate` calls/s over 16 connections. */
async function liveStep(backend: 'dumpcap' | 'tcpdump' | 'cap', rate: number, seconds: number): Promise<string[]> {
  const server = new TcpServer<TinyPbFrame, TinyPbMessage>({coder: () => new TinyPbCoder()})
  server.on('connection', (c) => c.on('message', (f) => c.send({msgId: f.msgIdBytes, methodName: f.methodNameBytes, pbData: Buffer.from('1a083230323330353134', 'hex')})))
  const addr = await server.listen('127.0.0.1', 0)
  if (!addr.ok) throw addr.error
  const port = addr.value.port
  const out = join(tmpdir(), `rpcdiag-bench-live-${process.pid}.ndjson`)
  const fd = openSync(out, 'w')
  const sniffer = spawn(...rpcdiagSpawn(['sniff', '-i', 'lo', '--port', String(port), '--backend', backend, '--json', '--no-processes']), {stdio: ['ignore', fd, 'pipe']})
  let err = ''
  sniffer.stderr!.on('data', (d) => (err += d))
  while (!/capturing on/.test(err)) {
    if (sniffer.exitCode !== null) throw new Error(`sniff exited: ${err}`)
    await new Promise((r) => setTimeout(r, 50))
  }

  const load = await openLoop(addr.value, rate, seconds)
  const sent = load.sent
  const elapsed = load.elapsed
  await load.settle(60_000)
  load.close()
  await new Promise((r) => setTimeout(r, 1000))
  sniffer.kill('SIGINT')
  await once(sniffer, 'close')
  closeSync(fd)
  await server.close(100)
  const summary = JSON.parse(await lastLine(out))
  rmSync(out)
  const lost = sent - Math.min(summary.requests, summary.responses, summary.paired)
  return [
    backend,
    rate.toLocaleString('en-US'),
    Math.round(sent / elapsed).toLocaleString('en-US'),
    String(sent),
    String(summary.paired),
    String(summary.gaps),
    String(summary.kernelDrops ?? '-'),
    String(lost),
  ]
}

async function liveBench(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('\nlive: skipped (capturing on lo needs root)')
    return
  }
  console.log('\nlive on lo: an echo server and 16 client connections in this process, calls sent open-loop for 3 s per step')
  const rows = [['path', 'target/s', 'sent/s', 'calls', 'paired', 'gaps', 'kernel drops', 'lost']]
  const best: Record<string, number> = {}
  for (const backend of ['dumpcap', 'tcpdump', 'cap'] as const) {
    for (const rate of [1000, 2000, 5000, 10_000, 20_000, 40_000, 80_000]) {
      const row = await liveStep(backend, rate, 3)
      rows.push(row)
      if (row[7] !== '0') break
      best[backend] = rate
    }
  }
  table(rows)
  for (const b of ['dumpcap', 'tcpdump', 'cap']) console.log(`${b}: highest rate with nothing lost: ${best[b]?.toLocaleString('en-US') ?? 'none'} calls/s`)
}

buildDist()
console.log(`node ${process.version}; ${execFileSync('tcpdump', ['--version']).toString().split('\n')[0]}${TSHARK ? `; ${execFileSync('tshark', ['--version']).toString().split('\n')[0]}` : ''}`)
const sizes = SERIES ? [Math.round(CALLS / 4), Math.round(CALLS / 2), CALLS] : [CALLS]
const measured: SizeResult[] = []
for (const n of sizes) measured.push(await fileBench(n, ROUNDS))
if (measured.length > 1) seriesTable(measured)
if (PER_CALL) await fileBench(CALLS, ROUNDS, 'per-call')
if (LIVE) await liveBench()
