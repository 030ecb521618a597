// serve gives memory back after hostile clients go (issue 13's soak criterion),
// as a user runs it: the built ./bin/run.js, clients on 127.0.0.1, RSS from /proc.
// Before src/net/malloc-policy.ts, glibc raised its mmap threshold each time a
// large frame buffer was freed, took the next ones from its heap, and kept the
// holes: RSS stayed ~150 MiB above where it started, with nothing held.
import {once} from 'node:events'
import {readFileSync} from 'node:fs'
import {connect, type Socket} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterEach, beforeAll, expect, it} from 'vitest'

import {encodeFrame} from '../../decoders/tinypb/index.js'
import {buildCli, type LongRunning, startCli} from '../rpc/helpers/cli-process.js'

const running: LongRunning[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    await p.exited
  }
})

beforeAll(() => buildCli(), 120_000)

const MiB = 1024 * 1024
const rssMiB = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
/** makeOrderRequest {price: 100, goods: "apple"}. */
const REQUEST = encodeFrame({msgId: '1', methodName: 'Order.makeOrder', pbData: Buffer.from('086412056170706c65', 'hex')})

async function open(port: number): Promise<Socket> {
  const s = connect({host: '127.0.0.1', port})
  sockets.push(s)
  s.on('error', () => {})
  await once(s, 'connect')
  return s
}

/** n good calls, one after another on one connection; each must be answered. */
async function goodCalls(port: number, n: number): Promise<void> {
  const s = await open(port)
  for (let i = 0; i < n; i++) {
    s.write(REQUEST)
    const [reply] = await Promise.race([once(s, 'data'), sleep(5000).then(() => [undefined])])
    expect(reply, `good call ${i} answered`).toBeDefined()
  }
  s.destroy()
}

/** A connection that sends `bytes` of a frame claiming 40 MiB, and stays open. */
async function partialFrame(port: number, bytes: number): Promise<Socket> {
  const s = await open(port)
  const f = encodeFrame({msgId: '6', methodName: 'Order.makeOrder', pbData: Buffer.alloc(0)})
  const header = Buffer.from(f.subarray(0, f.length - 5))
  header.writeInt32BE(40 * MiB, 1)
  s.write(header)
  const chunk = Buffer.alloc(64 * 1024, 0x41)
  for (let sent = 0; sent < bytes; sent += chunk.length) if (!s.write(chunk)) await Promise.race([once(s, 'drain'), sleep(2000)])
  return s
}

it('comes back to within 25 MiB of its start once connections holding 2-20 MiB frames are gone', async () => {
  const p = startCli(['serve', '--proto', 'examples/order.proto', '--port', '0', '--json', '-q'], {built: true})
  running.push(p)
  const port = Number(JSON.parse((await p.waitFor(/^\{"type":"listening".*\n/m))[0]).address.split(':').at(-1))
  const pid = p.child.pid!
  await goodCalls(port, 300)
  await sleep(300)
  const start = rssMiB(pid)

  // Six rounds of six connections, each holding a frame of a different size, then gone.
  let peak = start
  for (let round = 0; round < 6; round++) {
    const held = await Promise.all(Array.from({length: 6}, (_, i) => partialFrame(port, (2 + i * 3 + round) * MiB)))
    await sleep(200)
    await goodCalls(port, 20)
    peak = Math.max(peak, rssMiB(pid))
    for (const s of held) s.destroy()
  }
  expect(peak - start, 'the frames were held (else this test shows nothing)').toBeGreaterThan(80)

  // Good calls until V8 collects the closed connections' buffers (at most 40 rounds, ~15 s).
  const curve: number[] = []
  for (let i = 0; i < 40 && (curve.at(-1) ?? Infinity) > start + 25; i++) {
    await goodCalls(port, 200)
    await sleep(200)
    curve.push(rssMiB(pid))
  }
  expect(curve.at(-1)! - start, `RSS from ${start.toFixed(0)} MiB, peak ${peak.toFixed(0)}, then ${curve.map((v) => v.toFixed(0)).join(' ')}`).toBeLessThanOrEqual(25)
}, 90_000)
