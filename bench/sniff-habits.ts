// What -Y and field output cost sniff, beside tshark doing the same on the same
// file: a pcap of N calls (bench/sniff-pcap.ts), read by
//   rpcdiag sniff -q                      (the summary alone: the baseline)
//   rpcdiag sniff -q -Y EXPR              (the display filter on every call)
//   rpcdiag sniff --format csv >/dev/null (a row per call)
//   tshark -r F -q -Y 'tcp.port == 12345'        (tshark's display filter, per packet)
//   tshark -r F -T fields -e frame.time_epoch -e tcp.len >/dev/null
// Wall time of each, best of 3, and the ratios.
//
//   npx tsx bench/sniff-habits.ts [calls]

import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const calls = Number(process.argv[2] ?? 50_000)
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-bench-habits-'))
const file = join(dir, 'calls.pcap')
spawnSync(process.execPath, ['--import', 'tsx', 'bench/sniff-pcap.ts', file, String(calls)], {stdio: 'inherit'})

function once(cmd: string, args: string[]): number {
  const t = performance.now()
  const r = spawnSync(cmd, args, {stdio: ['ignore', 'ignore', 'ignore']})
  const ms = performance.now() - t
  if (r.status !== 0 && r.status !== 4) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`)
  return ms
}

const rpcdiag = (args: string[]): [string, string[]] => [process.execPath, ['bin/run.js', 'sniff', '-r', file, ...args]]
const runs: Array<[string, [string, string[]]]> = [
  ['rpcdiag sniff -q', rpcdiag(['-q'])],
  ['rpcdiag sniff -q -Y \'method == "Order.makeOrder" && (latency > 1ms || err_code != 0)\'', rpcdiag(['-q', '-Y', 'method == "Order.makeOrder" && (latency > 1ms || err_code != 0)'])],
  ['rpcdiag sniff --format csv', rpcdiag(['--format', 'csv'])],
  ["tshark -q -Y 'tcp.port == 12345'", ['tshark', ['-r', file, '-q', '-Y', 'tcp.port == 12345']]],
  ['tshark -T fields -e frame.time_epoch -e tcp.len', ['tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'tcp.len']]],
]
// Round-robin, best of 3: a burst of load on the shared machine hits every command alike.
const bestMs = runs.map(() => Infinity)
for (let round = 0; round < 3; round++) runs.forEach(([, [cmd, args]], i) => (bestMs[i] = Math.min(bestMs[i], once(cmd, args))))
const rows: Array<[string, number]> = runs.map(([what], i) => [what, bestMs[i]])
const base = rows[0][1]
console.log(`${calls} calls; best of 3 wall times`)
for (const [what, ms] of rows) console.log(`${what.padEnd(90)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${(ms / base).toFixed(2)}x`)
rmSync(dir, {recursive: true, force: true})
