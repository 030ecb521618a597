// The agent's cost: `rpcdiag sniff --metrics ... --metrics-only --backend tcpdump` on lo
// while TinyPB calls run at a fixed rate for a few minutes. Every 10 s: the
// agent's CPU (node, and its tcpdump child: the capture process alone, the
// peer figure), its resident memory (flat or growing), and how long a scrape
// of /metrics takes, beside a scrape of prometheus-node-exporter's /metrics
// (the usual per-host exporter) in the same run when it is installed.
//
//   npx tsx bench/agent.ts [seconds=180] [rates=1000,10000]      (root: live capture)

import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {readFileSync, readdirSync} from 'node:fs'
import {createServer} from 'node:net'

import {buildDist} from './build-dist.js'
import {connectClients} from './tinypb-load.js'

const SECONDS = Number(process.argv[2] ?? 180)
const RATES = (process.argv[3] ?? '1000,10000').split(',').map(Number)
const SAMPLE_S = 10
// USER_HZ: the unit of utime and stime in /proc/PID/stat, 100 on Linux.
const TICKS = 100

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12]) // utime + stime
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : Number.NaN
}

/** A process named `name` below pid: its child, or a grandchild (the capture program runs under a lifeline sh). */
function childOf(pid: number, name: string): number | undefined {
  const procs: Array<{pid: number; ppid: number; comm: string}> = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      procs.push({pid: Number(d), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), comm})
    } catch {
      // gone
    }
  }
  let level = [pid]
  for (let depth = 0; depth < 3 && level.length > 0; depth++) {
    const below = procs.filter((p) => level.includes(p.ppid))
    const found = below.find((p) => p.comm === name)
    if (found !== undefined) return found.pid
    level = below.map((p) => p.pid)
  }
  return undefined
}

/** One scrape timed by curl, a process of its own: the bench's busy event loop does not count. */
function timedGet(url: string): Promise<{ms: number; bytes: number}> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{time_total} %{size_download}', url], {timeout: 30_000}, (e, out) => {
      if (e) return reject(e)
      const [t, size] = out.trim().split(' ').map(Number)
      resolve({ms: t * 1000, bytes: size})
    })
  })
}

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as {port: number}).port
  await new Promise((r) => s.close(r))
  return port
}

/** prometheus-node-exporter on a free loopback port, for the peer scrape time; undefined when not installed. */
async function nodeExporter(): Promise<{url: string; child: ChildProcess} | undefined> {
  const port = await freePort()
  const child = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`], {stdio: 'ignore'})
  const failed = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(true))
    setTimeout(() => resolve(false), 1500)
  })
  if (failed || child.exitCode !== null) return undefined
  return {url: `http://127.0.0.1:${port}/metrics`, child}
}

/** nodejs_heap_size_used_bytes from the agent's own metrics (prom-client's defaults), in MB. */
function heapUsedMb(exposition: string): number {
  const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(exposition)
  return m ? Number(m[1]) / 1024 / 1024 : Number.NaN
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function run(rate: number, peer: {url: string} | undefined): Promise<void> {
  // The server in a process of its own: at 10,000 calls/s one event loop for both ends is the bottleneck.
  const server = spawn(process.execPath, ['--import', 'tsx', 'bench/echo-server.ts'], {stdio: ['pipe', 'pipe', 'inherit']})
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout!.once('data', (d) => resolve(Number(String(d).trim())))
    server.once('close', () => reject(new Error('echo server exited')))
  })
  const addr = {host: '127.0.0.1', port}
  const agent = spawn(process.execPath, ['bin/run.js', 'sniff', '-i', 'lo', '--port', String(addr.port), '--backend', 'tcpdump', '--metrics', '127.0.0.1:0', '--metrics-only'], {stdio: ['ignore', 'ignore', 'pipe']})
  let err = ''
  agent.stderr!.on('data', (d) => (err += d))
  for (let i = 0; !/serving metrics on (\S+);/.test(err); i++) {
    if (agent.exitCode !== null || i > 400) throw new Error(`agent did not start: ${err}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const url = /serving metrics on (\S+);/.exec(err)![1]
  const tcpdump = childOf(agent.pid!, 'tcpdump')

  const {conns, answered} = await connectClients(addr, 16)
  const methods = ['Order.makeOrder', 'Order.cancelOrder', 'Query.queryName', 'Query.queryAge']
  const pb = Buffer.from('086412056170706c65', 'hex')
  let sent = 0
  const started = performance.now()
  const total = rate * SECONDS
  console.log(`\n${rate.toLocaleString('en-US')} calls/s for ${SECONDS} s (16 connections, 4 methods), agent pid ${agent.pid}, tcpdump pid ${tcpdump ?? '?'}`)
  console.log('   t(s)  sent/s  agent CPU%  tcpdump CPU%  agent RSS MB  heap used MB  scrape ms  scrape KB  node-exporter scrape ms')
  const rss: number[] = []
  const heap: number[] = []
  const scrapes: number[] = []
  const peerScrapes: number[] = []
  const agentCpu: number[] = []
  const dumpCpu: number[] = []
  let last = {t: performance.now(), agent: cpuTicks(agent.pid!), dump: tcpdump === undefined ? 0 : cpuTicks(tcpdump), sent: 0}
  // At most 10 ms of calls per tick: a bench process starved of CPU sends fewer calls (the sent/s column
  // says so) rather than a burst of everything it owes, which no real client does.
  const burst = Math.max(1, Math.ceil(rate / 100))
  const sender = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate), sent + burst)
    while (sent < due) {
      conns[sent % conns.length].send({msgId: String(10_000_000_000_000_000_000n + BigInt(sent)), methodName: methods[sent % methods.length], pbData: pb})
      sent++
    }
  }, 1)
  for (let k = 1; k * SAMPLE_S <= SECONDS; k++) {
    await new Promise((r) => setTimeout(r, started + k * SAMPLE_S * 1000 - performance.now()))
    const now = {t: performance.now(), agent: cpuTicks(agent.pid!), dump: tcpdump === undefined ? 0 : cpuTicks(tcpdump), sent}
    const secs = (now.t - last.t) / 1000
    const a = ((now.agent - last.agent) / TICKS / secs) * 100
    const d = ((now.dump - last.dump) / TICKS / secs) * 100
    const m = rssMb(agent.pid!)
    const s = await timedGet(url)
    const p = peer === undefined ? undefined : await timedGet(peer.url)
    const h = heapUsedMb(await (await fetch(url)).text())
    heap.push(h)
    rss.push(m)
    scrapes.push(s.ms)
    agentCpu.push(a)
    dumpCpu.push(d)
    if (p !== undefined) peerScrapes.push(p.ms)
    console.log(
      `${((now.t - started) / 1000).toFixed(0).padStart(7)}  ${String(Math.round((now.sent - last.sent) / secs)).padStart(6)}  ${a.toFixed(1).padStart(10)}  ${d.toFixed(1).padStart(12)}  ${m.toFixed(1).padStart(12)}  ${h.toFixed(1).padStart(12)}  ${s.ms.toFixed(1).padStart(9)}  ${(s.bytes / 1024).toFixed(1).padStart(9)}  ${p === undefined ? '-' : p.ms.toFixed(1).padStart(23)}`,
    )
    last = now
  }
  clearInterval(sender)
  for (let i = 0; answered() < sent && i < 500; i++) await new Promise((r) => setTimeout(r, 20))
  await new Promise((r) => setTimeout(r, 1500))
  const final = await (await fetch(url)).text()
  const sum = (name: string) =>
    final
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)
  const counted = sum('tinypb_requests_total')
  const losses = ['tinypb_capture_kernel_drops_total', 'tinypb_capture_queue_drops_total', 'tinypb_capture_reassembly_gaps_total', 'tinypb_unanswered_total', 'tinypb_capture_packets_total']
    .map((n) => `${n.replace('tinypb_', '').replace('_total', '')} ${sum(n)}`)
    .join(', ')
  for (const c of conns) c.shutdown()
  agent.kill('SIGINT')
  await new Promise((r) => agent.once('close', r))
  server.stdin!.end()
  await new Promise((r) => server.once('close', r))
  const half = Math.floor(rss.length / 2)
  const avg = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length)
  console.log(
    `summary ${rate.toLocaleString('en-US')}/s: sent ${sent} (${Math.round(sent / ((performance.now() - started) / 1000)).toLocaleString('en-US')}/s achieved), answered ${answered()}, the agent counted ${counted} requests (${losses}); ` +
      `agent CPU median ${median(agentCpu).toFixed(1)}% (tcpdump ${median(dumpCpu).toFixed(1)}%), ` +
      `RSS first half ${avg(rss.slice(0, half)).toFixed(1)} MB, second half ${avg(rss.slice(half)).toFixed(1)} MB, max ${Math.max(...rss).toFixed(1)} MB; ` +
      `heap used first half ${avg(heap.slice(0, half)).toFixed(1)} MB, second half ${avg(heap.slice(half)).toFixed(1)} MB; ` +
      `scrape median ${median(scrapes).toFixed(1)} ms` +
      (peerScrapes.length > 0 ? ` (node-exporter ${median(peerScrapes).toFixed(1)} ms)` : ''),
  )
}

buildDist()
const peer = await nodeExporter()
if (peer === undefined) console.log('prometheus-node-exporter is not installed: no peer scrape time')
try {
  for (const rate of RATES) await run(rate, peer)
} finally {
  peer?.child.kill('SIGTERM')
}
