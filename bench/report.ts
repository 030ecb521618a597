// The HTML report's size and cost: `rpcdiag sniff --read FILE` with and
// without `--report`, on the rocket capture (25 calls) and on a generated
// capture of 200,000 calls (bench/sniff-pcap.ts), beside tshark's I/O
// statistics (`tshark -q -z io,stat,0.1`, the table behind Wireshark's I/O
// graph) of the same file in the same run. Wall and CPU (user + sys) time of
// the median round (CPU time suffers less when other work shares the
// machine); the report's own cost is the difference between the two sniff runs.
//
//   npm run build && npx tsx bench/report.ts [calls=200000] [rounds=3]

import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, rmSync, statSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'

import {buildDist} from './build-dist.js'
import {median, type Timed, timed} from './gnu-time.js'
import {generateSniffPcap} from './sniff-pcap.js'

const args = process.argv.slice(2)
const CALLS = Number(args[0] ?? 200_000)
const ROUNDS = Number(args[1] ?? 3)
const DIR = join(tmpdir(), 'rpcdiag-bench')

/** Median of the rounds (by wall time; peak RSS over them). */
function rounds(argv: string[]): Timed {
  return median(Array.from({length: ROUNDS}, () => timed(argv)))
}

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

buildDist()
mkdirSync(DIR, {recursive: true})
const big = join(DIR, `report-${CALLS}.pcap`)
if (!existsSync(big)) {
  process.stdout.write(`generating ${big} ... `)
  generateSniffPcap(big, CALLS)
  console.log('done')
}
const captures = [
  {name: 'rocket capture, 25 calls', file: 'test/fixtures/pcap/rocket_fast_25calls_12346.pcap', timeout: '100'},
  {name: `generated, ${CALLS.toLocaleString('en-US')} calls`, file: big, timeout: '5000'},
]
const tshark = hasTshark()
console.log(`rounds: ${ROUNDS} (medians; peak RSS over the rounds). Load average now ${loadavg()[0].toFixed(1)} on ${cpus().length} cores: other work skews wall time most.`)
for (const c of captures) {
  const html = join(DIR, 'report.html')
  const sniff = ['node', 'bin/run.js', 'sniff', '--read', c.file, '--timeout', c.timeout]
  const plain = rounds(sniff)
  const withReport = rounds([...sniff, '--report', html])
  const size = statSync(html).size
  const io = tshark ? rounds(['tshark', '-r', c.file, '-q', '-z', 'io,stat,0.1']) : undefined
  console.log(`\n${c.name} (${(statSync(c.file).size / 1e6).toFixed(1)} MB pcap)`)
  console.log(`  report size                         ${(size / 1024).toFixed(0)} KiB (${size.toLocaleString('en-US')} bytes)`)
  const cpu = (t: Timed) => t.user + t.sys
  const line = (what: string, t: Timed) => console.log(`  ${what.padEnd(34)} ${t.wall.toFixed(2)} s wall, ${cpu(t).toFixed(2)} s CPU, ${t.rssMb.toFixed(0)} MB RSS`)
  line('sniff --read', plain)
  line('sniff --read --report', withReport)
  console.log(`  ${"the report's cost".padEnd(34)} ${(withReport.wall - plain.wall).toFixed(2)} s wall, ${(cpu(withReport) - cpu(plain)).toFixed(2)} s CPU`)
  if (io !== undefined) line('peer: tshark -q -z io,stat,0.1', io)
  rmSync(html, {force: true})
}
