// How much of a -w file survives SIGKILL of rpcdiag? Calls at a steady rate
// through `rpcdiag serve` on lo; `rpcdiag sniff -w FILE` captures them through
// one backend while a reference `tcpdump -w` records the same traffic. After a
// few seconds rpcdiag gets SIGKILL (no handler runs). Printed per backend:
// packets the reference saw before the kill, packets in rpcdiag's file, the
// missing ones, and how long before the kill the file's last packet was
// stamped (the window lost), and whether any capture process was left running.
//
//   sudo npx tsx bench/sigkill-loss.ts [rate=2000] [seconds=3] [--backends=dumpcap,tcpdump,cap]

import {execFileSync, spawn} from 'node:child_process'
import {once} from 'node:events'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {CapturedPacket} from '../decoders/packet/index.js'
import {CaptureFileDecoder} from '../decoders/pcap/index.js'
import {buildDist, ROOT} from './build-dist.js'
import {openLoop} from './open-loop.js'

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const RATE = Number(args[0] ?? 2000)
const SECONDS = Number(args[1] ?? 3)
const BACKENDS = (process.argv.find((a) => a.startsWith('--backends='))?.split('=')[1] ?? 'dumpcap,tcpdump,cap').split(',')
const tmp = mkdtempSync(join(tmpdir(), 'rpcdiag-sigkill-'))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function packets(file: string): CapturedPacket[] {
  const b = readFileSync(file)
  const out: CapturedPacket[] = []
  new CaptureFileDecoder().decode(b, 0, b.length, out)
  return out
}

async function waitFor(child: ReturnType<typeof spawn>, stream: 'stdout' | 'stderr', re: RegExp): Promise<RegExpExecArray> {
  let text = ''
  child[stream]!.on('data', (d) => (text += d))
  for (let i = 0; i < 400; i++) {
    const m = re.exec(text)
    if (m) return m
    if (child.exitCode !== null) break
    await sleep(50)
  }
  throw new Error(`no ${re} from ${child.spawnfile}: ${text}`)
}

/** Capture processes (and their lifeline sh) still running for this port. */
function captureProcesses(port: number): string[] {
  try {
    const out = execFileSync('pgrep', ['-a', '-f', `(rpcdiag-capture|dumpcap -w -|tcpdump -U -w -).*port ${port}$`], {encoding: 'utf8'})
    return out.trim().split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))
  } catch {
    return []
  }
}

async function run(backend: string): Promise<string[]> {
  // stdout ignored: serve's log of 2,000 calls/s unread would fill the pipe and block it.
  const server = spawn(process.execPath, [join(ROOT, 'bin/run.js'), 'serve', '--port', '0', '--proto', join(ROOT, 'examples/order.proto')], {stdio: ['ignore', 'ignore', 'pipe']})
  const port = Number((await waitFor(server, 'stderr', /listening on 127\.0\.0\.1:(\d+)/))[1])
  const refFile = join(tmp, 'ref.pcap')
  const file = join(tmp, `${backend}.pcap`)
  const ref = spawn('tcpdump', ['-i', 'lo', '-s', '262144', '-B', '65536', '-w', refFile, 'tcp', 'and', 'port', String(port)], {stdio: ['ignore', 'ignore', 'pipe']})
  await waitFor(ref, 'stderr', /listening on/)
  const sniff = spawn(process.execPath, [join(ROOT, 'bin/run.js'), 'sniff', '-i', 'lo', '--port', String(port), '--backend', backend, '-w', file, '--json', '--no-processes'], {stdio: ['ignore', 'ignore', 'pipe']})
  await waitFor(sniff, 'stderr', /capturing on/)
  const sniffClosed = once(sniff, 'close')

  // Traffic goes on through the kill: the window lost is what was in flight.
  let killedAt = 0
  const load = await openLoop({host: '127.0.0.1', port}, RATE, SECONDS + 0.5, {
    connections: 8,
    tick(ms) {
      if (killedAt === 0 && ms >= SECONDS * 1000) {
        killedAt = performance.timeOrigin + performance.now()
        sniff.kill('SIGKILL')
      }
    },
  })
  await sniffClosed
  await sleep(2000)
  const left = captureProcesses(port)
  load.close()
  ref.kill('SIGINT')
  await once(ref, 'close')
  server.kill('SIGTERM')
  await once(server, 'close')

  const stamp = (p: CapturedPacket) => p.tsSec * 1000 + p.tsNsec / 1e6
  const refBefore = packets(refFile).filter((p) => stamp(p) < killedAt).length
  const got = packets(file)
  const lastMs = got.length === 0 ? undefined : stamp(got[got.length - 1])
  return [
    backend,
    String(refBefore),
    String(got.length),
    String(refBefore - got.length),
    `${(((refBefore - got.length) / Math.max(1, refBefore)) * 100).toFixed(2)}%`,
    lastMs === undefined ? '-' : `${(killedAt - lastMs).toFixed(0)} ms`,
    left.length === 0 ? 'none' : left.join(' | '),
  ]
}

if (process.getuid?.() !== 0) {
  console.log('sigkill-loss: skipped (capturing on lo needs root)')
  process.exit(0)
}
buildDist()
console.log(`${RATE} calls/s over 8 connections for ${SECONDS} s, then SIGKILL of rpcdiag sniff -w; reference: tcpdump -w of the same traffic`)
const rows = [['backend', 'ref packets before kill', 'in -w file', 'missing', 'missing %', 'last packet before kill', 'capture processes left']]
for (const b of BACKENDS) rows.push(await run(b))
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
for (const r of rows) console.log(r.map((c, i) => (i === 0 || i === 6 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
rmSync(tmp, {recursive: true, force: true})
