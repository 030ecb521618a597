// rpcdiag sniff against tcpdump and tshark, in the same run.
//
// 1. Reading a file: a pcap of 1,000,000 TinyPB calls (bench/sniff-pcap.ts:
//    long and per-call connections, replies cut at the MSS, two requests in
//    one segment, delayed ACKs) read by `rpcdiag sniff --read FILE`,
//    `tcpdump -nr FILE` and `tshark -r FILE`, output to /dev/null. Wall time
//    (median of the rounds), CPU and peak RSS from /usr/bin/time; ratios.
//    rpcdiag's summary is checked first: every call paired, nothing lost.
// 2. Live on lo (root only): calls at a rising rate through one capture path
//    (cap, then tcpdump), until sniff misses a frame; the highest rate with
//    nothing lost, per path.
//
//   npm run build && npx tsx bench/sniff.ts [calls=1000000] [rounds=3] [--no-live] [--no-tshark]
// The pcap is kept in $TMPDIR/rpcdiag-bench/ between runs (about 800 MB for 1M calls).

import {execFileSync, spawn} from 'node:child_process'
import {once} from 'node:events'
import {closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {generateSniffPcap} from './sniff-pcap.js'
import {connectClients, startEchoServer} from './tinypb-load.js'

import {buildDist} from './build-dist.js'

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const CALLS = Number(args[0] ?? 1_000_000)
const ROUNDS = Number(args[1] ?? 3)
const LIVE = !process.argv.includes('--no-live')
const TSHARK = !process.argv.includes('--no-tshark')
const CLI = ['bin/run.js', 'sniff']

interface Timed {
  wall: number
  user: number
  sys: number
  rssMb: number
}

/** Run argv with stdout to /dev/null under GNU time: wall, CPU, peak RSS. */
function timed(argv: string[]): Timed {
  const fmtFile = join(tmpdir(), `rpcdiag-bench-time-${process.pid}`)
  const devnull = openSync('/dev/null', 'w')
  try {
    execFileSync('/usr/bin/time', ['-o', fmtFile, '-f', '%e %U %S %M', ...argv], {stdio: ['ignore', devnull, 'ignore']})
  } finally {
    closeSync(devnull)
  }
  const [wall, user, sys, kb] = readFileSync(fmtFile, 'utf8').trim().split(/\s+/).map(Number)
  rmSync(fmtFile)
  return {wall, user, sys, rssMb: kb / 1024}
}

function median(runs: Timed[]): Timed {
  const by = [...runs].sort((a, b) => a.wall - b.wall)
  const m = by[Math.floor(by.length / 2)]
  return {...m, rssMb: Math.max(...runs.map((r) => r.rssMb))}
}

async function lastLine(file: string): Promise<string> {
  let last = ''
  for await (const line of createInterface({input: createReadStream(file)})) if (line !== '') last = line
  return last
}

const fmt = (n: number, d = 2) => n.toFixed(d)

async function fileBench(): Promise<void> {
  const dir = join(tmpdir(), 'rpcdiag-bench')
  mkdirSync(dir, {recursive: true})
  const file = join(dir, `sniff-${CALLS}.pcap`)
  if (!existsSync(file)) {
    const t0 = performance.now()
    const g = generateSniffPcap(file, CALLS)
    console.log(`generated ${file}: ${g.calls} calls, ${g.packets} packets, ${(g.bytes / 1e6).toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }
  const size = statSync(file).size

  // Correctness first: the summary of a --json run (read to its last line only).
  const out = join(dir, `sniff-${CALLS}.ndjson`)
  const fd = openSync(out, 'w')
  const check = spawn(process.execPath, [...CLI, '--read', file, '--json'], {stdio: ['ignore', fd, 'inherit']})
  const [code] = await once(check, 'close')
  closeSync(fd)
  const summary = JSON.parse(await lastLine(out))
  rmSync(out)
  const ok = code === 0 && summary.requests === CALLS && summary.paired === CALLS && summary.unanswered === 0 && summary.gaps === 0 && summary.malformedFrames === 0
  console.log(
    `check: ${summary.requests} requests, ${summary.paired} paired, ${summary.unanswered} unanswered, ${summary.gaps} gaps, ${summary.malformedFrames} malformed, ${summary.connections} connections, ${summary.packets} packets: ${ok ? 'ok' : 'WRONG'}`,
  )
  if (!ok) process.exitCode = 1

  const tools: Array<[string, string[], number]> = [
    ['rpcdiag sniff --read', [process.execPath, ...CLI, '--read', file], ROUNDS],
    ['tcpdump -nr', ['tcpdump', '-nr', file], ROUNDS],
  ]
  if (TSHARK) tools.push(['tshark -r', ['tshark', '-r', file], 1])
  const results = new Map<string, Timed>()
  for (const [name, argv, rounds] of tools) {
    const runs: Timed[] = []
    for (let r = 0; r < rounds; r++) runs.push(timed(argv))
    results.set(name, median(runs))
  }
  console.log(`\nfile: ${(size / 1e6).toFixed(0)} MB, ${summary.packets} packets, ${CALLS} calls; wall time is the median of ${ROUNDS} (tshark: 1); output to /dev/null`)
  const rows = [['tool', 'wall s', 'user s', 'sys s', 'peak RSS MB', 'packets/s']]
  for (const [name, t] of results) rows.push([name, fmt(t.wall), fmt(t.user), fmt(t.sys), fmt(t.rssMb, 0), Math.round(summary.packets / t.wall).toLocaleString('en-US')])
  table(rows)
  const us = results.get('rpcdiag sniff --read')!
  const td = results.get('tcpdump -nr')!
  console.log(`\nrpcdiag / tcpdump wall time: ${fmt(us.wall / td.wall)}x (goal: at most 1.5x)`)
  const ts = results.get('tshark -r')
  if (ts !== undefined) console.log(`tshark / rpcdiag wall time: ${fmt(ts.wall / us.wall)}x (goal: at least 2x)`)
  console.log(`rpcdiag peak RSS: ${fmt(us.rssMb, 0)} MB (goal: under 200 MB)`)
}

function table(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
}

/** A TinyPB server answering every request at once, and an open-loop client sending `rate` calls/s over 16 connections. */
async function liveStep(backend: 'cap' | 'tcpdump', rate: number, seconds: number): Promise<string[]> {
  const {server, addr} = await startEchoServer()
  const port = addr.port
  const out = join(tmpdir(), `rpcdiag-bench-live-${process.pid}.ndjson`)
  const fd = openSync(out, 'w')
  const sniffer = spawn(process.execPath, [...CLI, '-i', 'lo', '--port', String(port), '--backend', backend, '--json', '--no-processes'], {stdio: ['ignore', fd, 'pipe']})
  let err = ''
  sniffer.stderr!.on('data', (d) => (err += d))
  while (!/capturing on/.test(err)) {
    if (sniffer.exitCode !== null) throw new Error(`sniff exited: ${err}`)
    await new Promise((r) => setTimeout(r, 50))
  }

  const {conns, answered} = await connectClients(addr, 16)
  const pb = Buffer.from('086412056170706c65', 'hex')
  let sent = 0
  const started = performance.now()
  const total = rate * seconds
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate))
      while (sent < due) {
        conns[sent % conns.length].send({msgId: String(10_000_000_000_000_000_000n + BigInt(sent)), methodName: 'Order.makeOrder', pbData: pb})
        sent++
      }
      if (sent >= total) {
        clearInterval(tick)
        resolve()
      }
    }, 1)
  })
  const elapsed = (performance.now() - started) / 1000
  while (answered() < sent) await new Promise((r) => setTimeout(r, 20))
  for (const c of conns) c.shutdown()
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
  for (const backend of ['cap', 'tcpdump'] as const) {
    for (const rate of [1000, 2000, 5000, 10_000, 20_000, 40_000, 80_000]) {
      const row = await liveStep(backend, rate, 3)
      rows.push(row)
      if (row[7] !== '0') break
      best[backend] = rate
    }
  }
  table(rows)
  for (const b of ['cap', 'tcpdump']) console.log(`${b}: highest rate with nothing lost: ${best[b]?.toLocaleString('en-US') ?? 'none'} calls/s`)
  const winner = (best.cap ?? 0) === (best.tcpdump ?? 0) ? 'neither (tie)' : (best.cap ?? 0) > (best.tcpdump ?? 0) ? 'cap' : 'tcpdump'
  console.log(`better capture path: ${winner}`)
}

buildDist()
console.log(`node ${process.version}; ${execFileSync('tcpdump', ['--version']).toString().split('\n')[0]}${TSHARK ? `; ${execFileSync('tshark', ['--version']).toString().split('\n')[0]}` : ''}`)
await fileBench()
if (LIVE) await liveBench()
