// `rpcdiag call` benchmarks, against `rpcdiag serve` in its own process:
//
// 1. One-shot call wall time, process start to exit (the built CLI, bin/run.js),
//    beside `node -e 0` (the floor of any Node tool) and a bare TinyPB client in
//    plain Node (socket, one frame, one reply) measured in the same run.
// 2. --repeat throughput at concurrency 1, 8 and 64, beside a bare load client
//    (pre-encoded frames, no decoding beyond the length) in the same run, with
//    the CPU time of the client and of the server: the goal is a load mode that
//    leaves the server, not the client, as the bottleneck.
//
//   npm run build && npx tsx bench/call.ts [oneShotRuns] [calls]
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const RUNS = Number(process.argv[2] ?? 15)
const CALLS = Number(process.argv[3] ?? 20_000)
const CLI = 'bin/run.js'
const PROTO = ['--proto', 'examples/order.proto']
const BODY = '{"price":100,"goods":"apple"}'
const TICK = 100 // USER_HZ: /proc/<pid>/stat counts CPU in 1/100 s

if (!existsSync('dist/commands/call.js')) {
  console.error('bench/call needs the built CLI: run `npm run build` first')
  process.exit(1)
}

/** utime + stime of a live process, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICK
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** Wall time of a whole process, and its user+sys CPU (GNU time), in ms. */
function timed(cmd: string, args: string[]): {wallMs: number; cpuMs: number; stdout: string; status: number | null} {
  const t0 = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  const wallMs = performance.now() - t0
  const [u, s] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number)
  return {wallMs, cpuMs: (u + s) * 1000, stdout: r.stdout, status: r.status}
}

// A bare TinyPB client: the least work a Node process can do for one call or a load run.
const BARE = `
const net = require('node:net')
const [host, port, calls, conns] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])]
const method = 'Order.makeOrder', id = '20000000000000000001', pb = Buffer.from('086412056170706c65', 'hex')
const frame = Buffer.alloc(26 + id.length + method.length + pb.length)
let at = 0
frame[at++] = 2; at = frame.writeInt32BE(frame.length, at); at = frame.writeInt32BE(id.length, at); at += frame.write(id, at)
at = frame.writeInt32BE(method.length, at); at += frame.write(method, at); at = frame.writeInt32BE(0, at); at = frame.writeInt32BE(0, at)
at += pb.copy(frame, at); at = frame.writeInt32BE(1, at); frame[at] = 3
let left = calls, done = 0, open = conns
const t0 = process.hrtime.bigint()
for (let c = 0; c < conns; c++) {
  const s = net.connect({host, port}, () => { s.setNoDelay(true); if (left-- > 0) s.write(frame); else s.end() })
  let buf = Buffer.alloc(0)
  s.on('data', (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d
    while (buf.length >= 5 && buf.length >= buf.readInt32BE(1)) {
      buf = buf.subarray(buf.readInt32BE(1)); done++
      if (left-- > 0) s.write(frame); else { s.destroy(); if (--open === 0) finish() }
    }
  })
}
function finish() { const ms = Number(process.hrtime.bigint() - t0) / 1e6; console.log(JSON.stringify({calls: done, ms, callsPerSec: done * 1000 / ms})) }
`

async function startServe(): Promise<{pid: number; addr: string; stop: () => Promise<void>}> {
  const child = spawn(process.execPath, [CLI, 'serve', ...PROTO, '--responses', 'examples/order-responses.json', '--port', '0', '-q'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {...process.env, NO_COLOR: '1'},
  })
  let err = ''
  const addr = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d
      const m = /listening on (\S+)/.exec(err)
      if (m) resolve(m[1])
    })
    child.on('exit', () => reject(new Error(`serve exited: ${err}`)))
  })
  return {
    pid: child.pid!,
    addr,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

const serve = await startServe()
const [host, port] = [serve.addr.slice(0, serve.addr.lastIndexOf(':')), serve.addr.slice(serve.addr.lastIndexOf(':') + 1)]
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-bench-'))
const bare = join(dir, 'bare.cjs')
writeFileSync(bare, BARE)

console.log(`rpcdiag call benchmarks against rpcdiag serve at ${serve.addr} (node ${process.version})`)
console.log('')
console.log(`One-shot call, process start to exit, median of ${RUNS} runs (after 2 warm-up runs):`)
const shots: Array<[string, string, string[]]> = [
  ['node -e 0 (floor of any Node CLI)', process.execPath, ['-e', '0']],
  ['bare TinyPB client in plain Node', process.execPath, [bare, host, port, '1', '1']],
  ['rpcdiag call --data-hex (no .proto)', process.execPath, [CLI, 'call', 'Order.makeOrder', '--addr', serve.addr, '--data-hex', '086412056170706c65']],
  ['rpcdiag call --proto --json', process.execPath, [CLI, 'call', 'Order.makeOrder', '--addr', serve.addr, ...PROTO, '--json', BODY]],
]
const oneShot: Record<string, {wall: number; cpu: number}> = {}
for (const [name, cmd, args] of shots) {
  for (let i = 0; i < 2; i++) timed(cmd, args)
  const runs = Array.from({length: RUNS}, () => timed(cmd, args))
  if (runs.some((r) => r.status !== 0)) throw new Error(`${name} failed: ${runs.find((r) => r.status !== 0)!.stdout}`)
  oneShot[name] = {wall: median(runs.map((r) => r.wallMs)), cpu: median(runs.map((r) => r.cpuMs))}
}
const floor = oneShot[shots[0][0]].wall
for (const [name] of shots) {
  const r = oneShot[name]
  console.log(`  ${name.padEnd(38)} wall ${r.wall.toFixed(0).padStart(5)} ms  cpu ${r.cpu.toFixed(0).padStart(5)} ms  x${(r.wall / floor).toFixed(2)} of node -e 0`)
}

console.log('')
console.log(`--repeat ${CALLS}, reused connections (one call in flight each), against one serve process:`)
console.log('  concurrency  tool                   calls/s   client cpu  server cpu  (% of one core over the load; client includes its start-up)')
for (const c of [1, 8, 64]) {
  const rows: Array<[string, number]> = []
  for (const tool of ['bare', 'rpcdiag'] as const) {
    const s0 = cpuMs(serve.pid)
    const r =
      tool === 'bare'
        ? timed(process.execPath, [bare, host, port, String(CALLS), String(c)])
        : timed(process.execPath, [CLI, 'call', 'Order.makeOrder', '--addr', serve.addr, ...PROTO, '--json', BODY, '-n', String(CALLS), '-c', String(c), '--format', 'json'])
    const serverCpu = cpuMs(serve.pid) - s0
    const out = JSON.parse(r.stdout)
    const durationMs = tool === 'bare' ? out.ms : out.durationMs
    const rate = out.callsPerSec as number
    if ((tool === 'bare' ? out.calls : out.ok) !== CALLS) throw new Error(`${tool} at c=${c}: ${r.stdout}`)
    rows.push([tool, rate])
    const pct = (ms: number) => `${((ms / durationMs) * 100).toFixed(0)}%`.padStart(10)
    console.log(`  ${String(c).padStart(11)}  ${(tool === 'bare' ? 'bare Node client' : 'rpcdiag call -n').padEnd(20)} ${rate.toFixed(0).padStart(9)}  ${pct(r.cpuMs)}  ${pct(serverCpu)}`)
  }
  console.log(`  ${''.padStart(11)}  rpcdiag / bare: x${(rows[1][1] / rows[0][1]).toFixed(2)}`)
}
await serve.stop()
