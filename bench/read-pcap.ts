// Capture-file reading throughput: rpcdiag's file source (pcap/pcapng streaming
// decoder) + decodePacket down to TCP segments, beside tcpdump and tshark
// reading the same file in the same run.
//
// The file: TinyPB calls over loopback as the rocket client makes them, a
// connection and 10 packets per call (bench/per-call-pcap.ts). A pcapng copy
// (editcap) is read too.
//
//   npx tsx bench/read-pcap.ts [packets=200000] [rounds=5]

import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {decodeCapturedPacket} from '../decoders/packet/index.js'
import {openCapture} from '../src/capture/index.js'
import {generatePerCallPcap, PER_CALL} from './per-call-pcap.js'

const PACKETS = Number(process.argv[2] ?? 200_000)
const ROUNDS = Number(process.argv[3] ?? 5)

interface Timing {
  /** Wall clock, and CPU (user + system, every thread) in ms. */
  ms: number
  cpu: number
}

async function ours(path: string): Promise<Timing & {packets: number; segments: number; payload: number}> {
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const opened = await openCapture({read: path})
  if (!opened.ok) throw opened.error
  let packets = 0
  let segments = 0
  let payload = 0
  for await (const batch of opened.value.source.batches()) {
    packets += batch.length
    for (let i = 0; i < batch.length; i++) {
      const r = decodeCapturedPacket(batch[i])
      if (r.kind === 'tcp') {
        segments++
        payload += r.segment.payload.length
      }
    }
  }
  const c = process.cpuUsage(c0)
  return {ms: performance.now() - t0, cpu: (c.user + c.system) / 1000, packets, segments, payload}
}

/** Run a peer tool under bash, whose `times` builtin reports the CPU its children used. */
function timed(cmd: string, args: string[]): Timing {
  const t0 = performance.now()
  const r = spawnSync('bash', ['-c', '"$@" > /dev/null 2>&1; s=$?; times; exit $s', 'bash', cmd, ...args], {encoding: 'utf8'})
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`)
  // Second line: children's user and system time, e.g. "0m0.131s 0m0.020s".
  const secs = (r.stdout.trim().split('\n')[1] ?? '').match(/(\d+)m([\d.]+)s/g) ?? []
  const cpu = secs.reduce((n, t) => {
    const [, m, s] = /(\d+)m([\d.]+)s/.exec(t)!
    return n + (Number(m) * 60 + Number(s)) * 1000
  }, 0)
  return {ms, cpu}
}

/** Best of the runs: the least disturbed by whatever else shares the machine. */
function best(xs: Timing[]): Timing {
  return {ms: Math.min(...xs.map((x) => x.ms)), cpu: Math.min(...xs.map((x) => x.cpu))}
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-bench-'))
  const pcap = join(dir, 'calls.pcap')
  const pcapng = join(dir, 'calls.pcapng')
  generatePerCallPcap(pcap, Math.ceil(PACKETS / PER_CALL))
  execFileSync('editcap', ['-F', 'pcapng', pcap, pcapng])
  const size = statSync(pcap).size
  console.log(`file: ${PACKETS} packets (${PACKETS / PER_CALL} TinyPB calls), ${(size / 1e6).toFixed(1)} MB pcap; best of ${ROUNDS} rounds`)

  const rows: Array<{name: string} & Timing> = []
  let cold: ({name: string} & Timing) | undefined
  for (const [name, file] of [
    ['rpcdiag read pcap + decodePacket', pcap],
    ['rpcdiag read pcapng + decodePacket', pcapng],
  ] as const) {
    const runs: Timing[] = []
    let last
    for (let i = 0; i < ROUNDS; i++) {
      last = await ours(file)
      runs.push(last)
    }
    if (last!.packets !== PACKETS || last!.segments !== PACKETS) throw new Error(`read ${last!.packets} packets, ${last!.segments} segments`)
    rows.push({name, ...best(runs)})
    // A real `sniff --read` makes one pass: the first, before the JIT has warmed up.
    if (rows.length === 1) cold = {name: '  the same, first round (cold JIT)', ms: runs[0].ms, cpu: runs[0].cpu}
  }
  rows.splice(1, 0, cold!)
  const peakRss = process.resourceUsage().maxRSS / 1024
  const peers: Array<[string, string, string[], number]> = [
    ['tcpdump -r FILE -w /dev/null', 'tcpdump', ['-r', pcap, '-w', '/dev/null'], ROUNDS],
    ['tcpdump -nr FILE > /dev/null', 'tcpdump', ['-nr', pcap], ROUNDS],
    ['tshark -r FILE > /dev/null', 'tshark', ['-r', pcap], Math.min(ROUNDS, 3)],
  ]
  for (const [name, cmd, args, n] of peers) {
    const runs: Timing[] = []
    for (let i = 0; i < n; i++) runs.push(timed(cmd, args))
    rows.push({name, ...best(runs)})
  }
  const base = rows[0]
  console.log('')
  console.log(`${'reader'.padEnd(38)}  wall ms   cpu ms   packets/s (wall)   MB/s   time / rpcdiag pcap (wall, cpu)`)
  for (const r of rows) {
    const pps = PACKETS / (r.ms / 1000)
    console.log(
      `${r.name.padEnd(38)} ${r.ms.toFixed(0).padStart(8)} ${r.cpu.toFixed(0).padStart(8)} ${Math.round(pps).toLocaleString('en-US').padStart(18)} ${(size / 1e6 / (r.ms / 1000)).toFixed(0).padStart(6)}   ${(r.ms / base.ms).toFixed(2)}x, ${(r.cpu / base.cpu).toFixed(2)}x`,
    )
  }
  console.log('')
  console.log('rpcdiag is measured in-process (no node startup; best round warm, plus the cold first round); the peers include their process start.')
  console.log('tcpdump -w /dev/null only copies records; -nr and tshark also format every packet as text.')
  console.log(`peak RSS of this process (generator included): ${peakRss.toFixed(0)} MB`)
  rmSync(dir, {recursive: true, force: true})
}

await main()
