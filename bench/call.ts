// `rpcdiag call` benchmarks, against `rpcdiag serve` in its own process, with
// a bare TinyPB client in plain Node (net.Socket, one pre-encoded frame,
// replies only counted) measured in the same run, interleaved run by run:
//
// 1. One-shot call, process start to exit (the built CLI as users start it,
//    bin/rpcdiag), beside `node -e 0` (the floor of any Node tool) and the
//    bare client's one call.
// 2. --repeat at concurrency 1, 8 and 64 in three modes: keep-alive (one call
//    in flight per connection), pipelined (PIPELINE calls in flight per
//    connection) and a connection per call (C connects in flight). For each:
//    calls/s, and the CPU per call of the client (its own process.cpuUsage()
//    over the run: rpcdiag reports it as clientCpuMs) and of the server
//    (/proc/PID/stat over the run). The goal is a client that leaves the
//    server, not itself, as the bottleneck.
//
//   npx tsx bench/call.ts [calls=20000] [rounds=3] [oneShotRuns=15] [--before=DIR] [--no-build]
//                         [--modes=keep-alive,pipelined,per-call] [--concurrency=1,8,64]
//
// --modes and --concurrency pick rows of part 2 (issue 14's row is
// --modes=per-call --concurrency=1).
//
// 3. Against a real rocket server (rocket's test_rpc_server, built by
//    bench/rocket/build.sh into $RPCDIAG_ROCKET_DIR, default /opt/rocket):
//    - one-shot: rocket's test_rpc_client (C++, one call per process) beside
//      `rpcdiag call`, interleaved, against one rocket server;
//    - connection per call, c=1 (when part 2 runs per-call at c=1): rocket_loop
//      (ROCKET_CALLS calls through rocket's RpcChannel, a new connection each)
//      beside `rpcdiag call -n ROCKET_CALLS -c 1 --connection-per-call`, each
//      run on a fresh rocket server (it never closes a connection: its CLOSE_WAIT
//      sockets would slow every later run, see TINYPB.md); and beside them
//      bare_loop (bench/rocket/bare_loop.c, compiled here with cc), blocking
//      calls in C and nothing else, keeping its sockets open as rocket_loop
//      does and closing each as rpcdiag does: the floor any client could reach.
//    Where rocket is not built, a line says so and how to build it.
//
// --before=DIR also runs DIR's bin (another checkout, built) in the same
// rounds; a build without clientCpuMs in its report shows no client CPU.
// Connection-per-call runs make calls/4 calls: each leaves a TIME-WAIT socket.
// The machine's other work shows in every figure: read the two tools of a row
// against each other (same rounds, interleaved), not against another run.
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {startCallBench} from './bare-client.js'
import {buildDist, ROOT, rpcdiagSpawn} from './build-dist.js'
import {buildBareLoop, findRocket, type RocketPeer, startRocketServer} from './rocket/peer.js'
import {median} from './timing.js'

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const CALLS = Number(positional[0] ?? 20_000)
const ROUNDS = Number(positional[1] ?? 3)
const ONE_SHOT_RUNS = Number(positional[2] ?? 15)
const BUILD = !process.argv.includes('--no-build')
const BEFORE = /--before=(\S+)/.exec(process.argv.join(' '))?.[1]
const PIPELINE = 16
const MODES = (/--modes=(\S+)/.exec(process.argv.join(' '))?.[1] ?? 'keep-alive,pipelined,per-call').split(',') as Mode[]
const CONCURRENCY = (/--concurrency=(\S+)/.exec(process.argv.join(' '))?.[1] ?? '1,8,64').split(',').map(Number)
const PROTO = ['--proto', join(ROOT, 'examples', 'order.proto')]
const BODY = '{"price":100,"goods":"apple"}'
const PB_HEX = '086412056170706c65' // the same body, encoded
const TICK_MS = 10 // /proc/PID/stat counts CPU in 1/100 s (USER_HZ)
// rocket_loop keeps every call's socket until the call's timeout (rocket never
// cancels it) and breaks once one closes (bench/rocket/rocket_loop.cc): a run
// must hold all its sockets and end within ROCKET_TIMEOUT_MS.
const ROCKET_CALLS = Math.min(Math.ceil(CALLS / 4), 2000)
const ROCKET_TIMEOUT_MS = 30_000

type Mode = 'keep-alive' | 'pipelined' | 'per-call'

/** utime + stime of a live process and its threads, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS
}

/** Wall time of a whole process and its user+sys CPU (GNU time, 10 ms steps), in ms. */
function timed(cmd: string, args: string[]): {wallMs: number; cpuMs: number; stdout: string; stderr: string; status: number | null} {
  const t0 = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}, maxBuffer: 64 * 1024 * 1024})
  const wallMs = performance.now() - t0
  const [u, s] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number)
  return {wallMs, cpuMs: (u + s) * 1000, stdout: r.stdout, stderr: r.stderr, status: r.status}
}

interface LoadRun {
  readonly callsPerSec: number
  readonly clientUsPerCall: number
  readonly serverUsPerCall: number
}

function fmt(n: number, digits = 0): string {
  return n.toFixed(digits)
}

async function main(): Promise<void> {
  if (BUILD) buildDist()
  const bench = await startCallBench('call')
  const {serve, bare, host, port} = bench
  const rocket = findRocket()
  const rocketServer = rocket.ok ? await startRocketServer(rocket.peer) : undefined
  try {
    console.log(`\nrpcdiag call against rpcdiag serve at ${serve.addr}; node ${process.version}; the machine may be shared: compare within a row`)
    console.log(
      rocket.ok
        ? `rocket: ${rocket.peer.info}; its test_rpc_server at ${rocketServer!.addr} (ERROR log level, 4 io threads)`
        : `${rocket.why}; the bare net.Socket client stands in for rocket's client`,
    )
    console.log(`\nOne-shot call, process start to exit: median of ${ONE_SHOT_RUNS} interleaved runs after 2 warm-ups`)
    const toRocket: Array<[string, string, string[]]> =
      rocketServer === undefined
        ? []
        : [
            ["rocket's test_rpc_client (C++) → rocket", rocket.ok ? rocket.peer.client : '', [rocketServer.addr]],
            ['rpcdiag call --data-hex → rocket', ...rpcdiagSpawn(['call', 'Order.makeOrder', '--addr', rocketServer.addr, '--data-hex', PB_HEX])],
            ['rpcdiag call --proto --json → rocket', ...rpcdiagSpawn(['call', 'Order.makeOrder', '--addr', rocketServer.addr, ...PROTO, '--json', BODY])],
          ]
    const shots: Array<[string, string, string[]]> = [
      ['node -e 0 (floor of any Node CLI)', process.execPath, ['-e', '0']],
      ['bare TinyPB client in plain Node', process.execPath, [bare, host, port, '1', '1', 'keep-alive', '1']],
      ['rpcdiag call --data-hex (no .proto)', ...rpcdiagSpawn(['call', 'Order.makeOrder', '--addr', serve.addr, '--data-hex', PB_HEX])],
      ['rpcdiag call --proto --json', ...rpcdiagSpawn(['call', 'Order.makeOrder', '--addr', serve.addr, ...PROTO, '--json', BODY])],
      ...(BEFORE === undefined
        ? []
        : [['before: call --proto --json', ...rpcdiagSpawn(['call', 'Order.makeOrder', '--addr', serve.addr, ...PROTO, '--json', BODY], BEFORE)] as [string, string, string[]]]),
      ...toRocket,
    ]
    const shot = shots.map(() => ({wall: [] as number[], cpu: [] as number[]}))
    for (let r = 0; r < ONE_SHOT_RUNS + 2; r++) {
      for (const [i, [name, cmd, args]] of shots.entries()) {
        const t = timed(cmd, args)
        // rocket's server answers order_id 20230514; a call it drops ends in a timeout, not in a wrong figure.
        if (t.status !== 0 || (name.endsWith('rocket') && !t.stdout.includes('20230514'))) throw new Error(`${name} exited ${t.status}: ${t.stdout.slice(-2000)}${t.stderr}`)
        if (r >= 2) (shot[i].wall.push(t.wallMs), shot[i].cpu.push(t.cpuMs))
      }
    }
    const floor = median(shot[0].wall)
    for (const [i, [name]] of shots.entries()) {
      const wall = median(shot[i].wall)
      console.log(`  ${name.padEnd(40)} wall ${fmt(wall).padStart(5)} ms (min ${fmt(Math.min(...shot[i].wall)).padStart(4)})  cpu ${fmt(median(shot[i].cpu)).padStart(4)} ms  ${(wall / floor).toFixed(2)}x node -e 0`)
    }
    if (rocketServer !== undefined) {
      const wallOf = (name: string) => median(shot[shots.findIndex(([n]) => n === name)].wall)
      const peerWall = wallOf(toRocket[0][0])
      console.log(
        `  one-shot against rocket's server: rpcdiag --proto --json ${fmt(wallOf(toRocket[2][0]))} ms, --data-hex ${fmt(wallOf(toRocket[1][0]))} ms, rocket's client ${fmt(peerWall)} ms: ` +
          `${(wallOf(toRocket[2][0]) / peerWall).toFixed(1)}x (GNU time's CPU is in 10 ms steps)`,
      )
    }
    await rocketServer?.stop()

    type Tool = 'bare' | 'rpcdiag' | 'before'
    const tools: Tool[] = BEFORE === undefined ? ['bare', 'rpcdiag'] : ['bare', 'rpcdiag', 'before']
    const runOne = (tool: Tool, mode: Mode, c: number, calls: number): LoadRun => {
      const s0 = cpuMs(serve.pid)
      const depth = mode === 'pipelined' ? PIPELINE : 1
      const flags = mode === 'per-call' ? ['--connection-per-call'] : mode === 'pipelined' ? ['--pipeline', String(PIPELINE)] : []
      const r =
        tool === 'bare'
          ? timed(process.execPath, [bare, host, port, String(calls), String(c), mode, String(depth)])
          : timed(...rpcdiagSpawn(['call', 'Order.makeOrder', '--addr', serve.addr, ...PROTO, '--json', BODY, '-n', String(calls), '-c', String(c), ...flags, '--format', 'json'], tool === 'before' ? BEFORE : undefined))
      const serverMs = cpuMs(serve.pid) - s0
      if (r.status !== 0) throw new Error(`${tool} ${mode} c=${c} exited ${r.status}: ${r.stdout.slice(0, 2000)}${r.stderr}`)
      const out = JSON.parse(r.stdout) as {calls?: number; ok?: number; callsPerSec: number; cpuMs?: number; clientCpuMs?: number}
      const answered = tool === 'bare' ? out.calls : out.ok
      if (answered !== calls) throw new Error(`${tool} ${mode} c=${c}: ${answered} of ${calls} answered`)
      return {callsPerSec: out.callsPerSec, clientUsPerCall: ((out.cpuMs ?? out.clientCpuMs ?? NaN) * 1000) / calls, serverUsPerCall: (serverMs * 1000) / calls}
    }

    console.log(`\n--repeat against one serve process: medians of ${ROUNDS} interleaved rounds; CPU in µs per call (server: 10 ms steps over the run)`)
    console.log(`  ${'mode'.padEnd(11)}${'c'.padStart(4)}  ${'client'.padEnd(16)}${'calls/s'.padStart(9)}${'client cpu'.padStart(12)}${'server cpu'.padStart(12)}   rpcdiag/bare`)
    console.log(`  (the bare net.Socket client against rpcdiag serve${rocket.ok ? "; rocket's own client against rocket's server follows" : `: rocket's client is not built`})`)
    for (const mode of MODES) {
      for (const c of CONCURRENCY) {
        const calls = mode === 'per-call' ? Math.ceil(CALLS / 4) : CALLS
        const runs = {bare: [] as LoadRun[], rpcdiag: [] as LoadRun[], before: [] as LoadRun[]}
        for (let r = 0; r < ROUNDS; r++) for (const tool of tools) runs[tool].push(runOne(tool, mode, c, calls))
        const med = (tool: Tool) => ({
          callsPerSec: median(runs[tool].map((x) => x.callsPerSec)),
          client: median(runs[tool].map((x) => x.clientUsPerCall)),
          server: median(runs[tool].map((x) => x.serverUsPerCall)),
        })
        const b = med('bare')
        const d = med('rpcdiag')
        const label = `${mode}${mode === 'pipelined' ? ` x${PIPELINE}` : ''}`
        console.log(`  ${label.padEnd(11)}${String(c).padStart(4)}  ${'bare net.Socket'.padEnd(16)}${fmt(b.callsPerSec).padStart(9)}${fmt(b.client, 1).padStart(12)}${fmt(b.server, 1).padStart(12)}`)
        console.log(`  ${''.padEnd(11)}${''.padStart(4)}  ${'rpcdiag call -n'.padEnd(16)}${fmt(d.callsPerSec).padStart(9)}${fmt(d.client, 1).padStart(12)}${fmt(d.server, 1).padStart(12)}   ${(d.callsPerSec / b.callsPerSec).toFixed(2)}x`)
        if (BEFORE !== undefined) {
          const o = med('before')
          console.log(`  ${''.padEnd(11)}${''.padStart(4)}  ${'before'.padEnd(16)}${fmt(o.callsPerSec).padStart(9)}${fmt(o.client, 1).padStart(12)}${fmt(o.server, 1).padStart(12)}   ${(o.callsPerSec / b.callsPerSec).toFixed(2)}x`)
        }
      }
    }
    if (!rocket.ok) {
      console.log(`\nAgainst a real rocket server: not run: ${rocket.why}; the bare net.Socket client above stands in`)
    } else if (MODES.includes('per-call') && CONCURRENCY.includes(1)) {
      await rocketLoadRow(rocket.peer)
    }
  } finally {
    await rocketServer?.stop()
    await bench.close()
  }
}

/**
 * Part 3's load row: rocket's own client beside rpcdiag call, connection per
 * call at c=1, each on a fresh rocket server; with them, the floor of any
 * client, bare_loop (bench/rocket/bare_loop.c: blocking calls in C, nothing
 * else), once keeping every socket open as rocket_loop does and once closing
 * each as rpcdiag does: what the server allows either way.
 */
async function rocketLoadRow(peer: RocketPeer): Promise<void> {
  console.log(`\nAgainst rocket's test_rpc_server, connection per call, c=1, ${ROCKET_CALLS} calls a run, a fresh server each run: medians of ${ROUNDS} interleaved rounds; CPU in µs per call`)
  const bare = buildBareLoop()
  const barePath = 'path' in bare ? bare.path : undefined
  if ('why' in bare) console.log(`  (no bare C client rows: ${bare.why})`)
  type Tool = 'rocket' | 'bare-hold' | 'bare-close' | 'rpcdiag'
  const tools: Array<[Tool, string]> = [
    ['rocket', "rocket_loop (rocket's RpcChannel)"],
    ...(barePath !== undefined
      ? ([
          ['bare-hold', 'bare C client, sockets kept open'],
          ['bare-close', 'bare C client, each socket closed'],
        ] as Array<[Tool, string]>)
      : []),
    ['rpcdiag', 'rpcdiag call -n --connection-per-call'],
  ]
  console.log(`  ${'client'.padEnd(38)}${'calls/s'.padStart(9)}${'client cpu'.padStart(12)}${'server cpu'.padStart(12)}   calls/s and client cpu x rocket's`)
  const runs = new Map<Tool, LoadRun[]>(tools.map(([tool]) => [tool, []]))
  const command = (tool: Tool, addr: {host: string; port: number; addr: string}): [string, string[]] => {
    if (tool === 'rocket') return [peer.loop, [addr.addr, String(ROCKET_CALLS), String(ROCKET_TIMEOUT_MS)]]
    if (tool === 'rpcdiag') return rpcdiagSpawn(['call', 'Order.makeOrder', '--addr', addr.addr, ...PROTO, '--json', BODY, '-n', String(ROCKET_CALLS), '-c', '1', '--connection-per-call', '--format', 'json'])
    return [barePath!, [addr.host, String(addr.port), String(ROCKET_CALLS), tool === 'bare-hold' ? 'hold' : 'close', String(ROCKET_TIMEOUT_MS)]]
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [tool] of tools) {
      const s = await startRocketServer(peer)
      try {
        const s0 = cpuMs(s.pid)
        const t = timed(...command(tool, s))
        const serverMs = cpuMs(s.pid) - s0
        if (t.status !== 0) throw new Error(`${tool} against rocket exited ${t.status}: ${t.stdout.slice(-2000)}${t.stderr.slice(-2000)}`)
        // rocket_loop prints rocket's start-up line before its JSON: the last line is the figure. rpcdiag's is a whole document.
        const out = JSON.parse(tool === 'rpcdiag' ? t.stdout : t.stdout.trim().split('\n').at(-1)!) as {ok: number; callsPerSec: number; cpuMs?: number; clientCpuMs?: number}
        if (out.ok !== ROCKET_CALLS) throw new Error(`${tool} against rocket: ${out.ok} of ${ROCKET_CALLS} answered`)
        runs.get(tool)!.push({callsPerSec: out.callsPerSec, clientUsPerCall: ((out.cpuMs ?? out.clientCpuMs ?? NaN) * 1000) / ROCKET_CALLS, serverUsPerCall: (serverMs * 1000) / ROCKET_CALLS})
      } finally {
        await s.stop()
      }
    }
  }
  const med = (tool: Tool) => {
    const list = runs.get(tool)!
    return {callsPerSec: median(list.map((x) => x.callsPerSec)), client: median(list.map((x) => x.clientUsPerCall)), server: median(list.map((x) => x.serverUsPerCall))}
  }
  const k = med('rocket')
  for (const [tool, label] of tools) {
    const m = med(tool)
    console.log(`  ${label.padEnd(38)}${fmt(m.callsPerSec).padStart(9)}${fmt(m.client, 1).padStart(12)}${fmt(m.server, 1).padStart(12)}   ${(m.callsPerSec / k.callsPerSec).toFixed(2)}x  ${(m.client / k.client).toFixed(2)}x`)
  }
  console.log(`  each run's calls/s: ${tools.map(([tool]) => `${tool} ${runs.get(tool)!.map((x) => fmt(x.callsPerSec)).join(' ')}`).join('; ')}`)
  if (barePath !== undefined) {
    const best = Math.max(...tools.map(([tool]) => med(tool).callsPerSec))
    console.log(`  rpcdiag is ${(med('rpcdiag').callsPerSec / med('bare-close').callsPerSec).toFixed(2)}x of the bare C client that closes its sockets as it does; the best any client showed here is ${fmt(best)} calls/s (${(best / k.callsPerSec).toFixed(2)}x rocket_loop)`)
  }
}

await main()
