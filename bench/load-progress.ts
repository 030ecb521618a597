// What the load mode's extras cost: calls/s of `rpcdiag call -n N -c C`
// against `rpcdiag serve` (its own process)
//   - plain: --no-progress, stderr a pipe (the run as before this branch);
//   - bar: on a pseudo-terminal (util-linux `script`), so the cli-progress bar draws
//     10 times a second; stdout goes to a file, the summary is read from it;
//     beside the same pseudo-terminal with --no-progress (what script costs);
//   - rps off: --rps far above what the run reaches, so the pacer runs on
//     every call but never waits;
//   - --format csv: one record per call written to a file;
// beside the bare TinyPB client of bench/call.ts (the floor: one pre-encoded
// frame, replies only counted) in the same rounds, interleaved. Each row
// gives calls/s and the client's CPU per call (steadier when the machine is shared). ghz itself
// speaks gRPC only and cannot drive a TinyPB server.
//
//   npx tsx bench/load-progress.ts [calls=20000] [rounds=5] [concurrency=8] [--no-build]
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {loadavg} from 'node:os'
import {join} from 'node:path'

import {startCallBench} from './bare-client.js'
import {buildDist, ROOT} from './build-dist.js'
import {median} from './timing.js'

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const CALLS = Number(positional[0] ?? 20_000)
const ROUNDS = Number(positional[1] ?? 5)
const CONC = Number(positional[2] ?? 8)
const CLI = join(ROOT, 'bin', 'run.js')
const PROTO = ['--proto', join(ROOT, 'examples', 'order.proto')]
const BODY = '{"price":100,"goods":"apple"}'

function shellQuote(a: string): string {
  return `'${a.replaceAll("'", "'\\''")}'`
}

interface Figures {
  readonly callsPerSec: number
  /** The client's own CPU per call (user + system, its process.cpuUsage()): steadier than calls/s on a shared machine. */
  readonly cpuUsPerCall: number
}

/** calls/s and CPU from the pretty summary ("Calls/sec: 12345.6", "Client CPU: 0.989 s"). */
function rateOf(text: string, what: string): Figures {
  const m = /Calls\/sec: +([\d.]+)/.exec(text)
  const cpu = /Client CPU: +([\d.]+) s/.exec(text)
  const calls = /Calls: +(\d+)/.exec(text)
  if (m === null || cpu === null || calls === null) throw new Error(`${what}: no Calls/sec in:\n${text}`)
  return {callsPerSec: Number(m[1]), cpuUsPerCall: (Number(cpu[1]) * 1e6) / Number(calls[1])}
}

async function main(): Promise<void> {
  if (!process.argv.includes('--no-build')) buildDist()
  const bench = await startCallBench('bar')
  const {serve, dir, bare, host, port} = bench
  const base = [CLI, 'call', 'Order.makeOrder', ...PROTO, '--addr', serve.addr, '-d', BODY, '-n', String(CALLS), '-c', String(CONC)]
  const env = {...process.env, NO_COLOR: '1'}
  /** Under `script`: stderr is a pseudo-terminal (script and the pty relay cost CPU too: hence the --no-progress row). */
  const onPty = (extra: string[], bar: boolean): Figures => {
    const out = join(dir, 'pty.out')
    const r = spawnSync('script', ['-qec', `${[process.execPath, ...base, ...extra].map(shellQuote).join(' ')} > ${shellQuote(out)}`, '/dev/null'], {encoding: 'utf8', env})
    if (r.stdout.includes('calls/s') !== bar) throw new Error(`bar ${bar ? 'not ' : ''}drawn: ${r.stdout}`)
    return rateOf(readFileSync(out, 'utf8'), 'pty')
  }
  const rows: Array<[string, () => Figures]> = [
    [
      'rpcdiag, no bar (--no-progress, pipe)',
      () => {
        const r = spawnSync(process.execPath, [...base, '--no-progress'], {encoding: 'utf8', env})
        return rateOf(r.stdout, 'plain')
      },
    ],
    ['rpcdiag, pseudo-terminal, --no-progress', () => onPty(['--no-progress'], false)],
    ['rpcdiag, pseudo-terminal, bar drawn', () => onPty([], true)],
    [
      'rpcdiag, --rps 10000000 (pacer on, never waits)',
      () => {
        const r = spawnSync(process.execPath, [...base, '--no-progress', '--rps', '10000000'], {encoding: 'utf8', env})
        return rateOf(r.stdout, 'rps')
      },
    ],
    [
      'rpcdiag, --format csv to a file',
      () => {
        const out = join(dir, 'calls.csv')
        const r = spawnSync('sh', ['-c', `${[process.execPath, ...base, '--no-progress', '--format', 'csv'].map(shellQuote).join(' ')} > ${shellQuote(out)}`], {encoding: 'utf8', env})
        return rateOf(r.stderr, 'csv')
      },
    ],
    [
      'bare TinyPB client (plain Node, the floor)',
      () => {
        const r = spawnSync(process.execPath, [bare, host, port, String(CALLS), String(CONC), 'keep-alive', '1'], {encoding: 'utf8'})
        const o = JSON.parse(r.stdout) as {callsPerSec: number; cpuMs: number; calls: number}
        return {callsPerSec: o.callsPerSec, cpuUsPerCall: (o.cpuMs * 1000) / o.calls}
      },
    ],
  ]
  try {
    console.log(`\nrpcdiag call -n ${CALLS} -c ${CONC} against rpcdiag serve at ${serve.addr}; node ${process.version}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
    console.log(`median calls/s of ${ROUNDS} interleaved rounds after one warm-up round; read the rows against each other, not against another run\n`)
    const rates = rows.map(() => [] as number[])
    const cpus = rows.map(() => [] as number[])
    for (let r = 0; r < ROUNDS + 1; r++) {
      for (const [i, [, run]] of rows.entries()) {
        const v = run()
        if (r > 0) (rates[i].push(v.callsPerSec), cpus[i].push(v.cpuUsPerCall))
      }
    }
    const plain = median(rates[0])
    const plainCpu = median(cpus[0])
    console.log(`  ${''.padEnd(48)} ${'calls/s'.padStart(7)}  ${'(min, max)'.padEnd(16)}  vs no bar   client CPU/call  vs no bar`)
    for (const [i, [name]] of rows.entries()) {
      const m = median(rates[i])
      const c = median(cpus[i])
      const range = `(${Math.min(...rates[i]).toFixed(0)}, ${Math.max(...rates[i]).toFixed(0)})`
      console.log(`  ${name.padEnd(48)} ${m.toFixed(0).padStart(7)}  ${range.padEnd(16)}  ${(m / plain).toFixed(3).padStart(7)}x  ${c.toFixed(1).padStart(10)} µs  ${(c / plainCpu).toFixed(3).padStart(7)}x`)
    }
    console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  } finally {
    await bench.close()
  }
}

await main()
