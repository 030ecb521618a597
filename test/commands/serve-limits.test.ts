// serve under attack, as a user runs it: the built ./bin/run.js as a process,
// hostile clients on real sockets on 127.0.0.1. Each case is one gap of issue 13
// (a global input budget, an idle / partial-frame timeout, accept failures when
// file descriptors run out, a bounded --json log, a line for an RST mid-frame).
import {once} from 'node:events'
import {readFileSync} from 'node:fs'
import {connect, type Socket} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterEach, beforeAll, describe, expect, it} from 'vitest'

import {encodeFrame, type TinyPbFrame, TinyPbStreamDecoder} from '../../decoders/tinypb/index.js'
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

type Json = Record<string, any>

function serve(args: string[], opts: {nofile?: number} = {}): LongRunning {
  const p = startCli(['serve', '--proto', 'examples/order.proto', '--port', '0', ...args], {built: true, ...opts})
  running.push(p)
  return p
}

async function listening(p: LongRunning, json: boolean): Promise<number> {
  if (json) return Number(JSON.parse((await p.waitFor(/^\{"type":"listening".*\n/m))[0]).address.split(':').at(-1))
  return Number((await p.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 'stderr'))[1])
}

async function stop(p: LongRunning) {
  p.child.kill('SIGTERM')
  const end = await p.exited
  expect(end.code).toBe(0)
  return end
}

const lines = (text: string): Json[] =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))

/** A client that records the frames it gets back and whether the server closed on it. */
async function client(port: number) {
  const s = connect({host: '127.0.0.1', port})
  sockets.push(s)
  s.on('error', () => {})
  await once(s, 'connect')
  const frames: TinyPbFrame[] = []
  const dec = new TinyPbStreamDecoder()
  let pending = Buffer.alloc(0)
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()))
  s.on('data', (d) => {
    pending = Buffer.concat([pending, d])
    const out: Array<TinyPbFrame | {kind: 'error'}> = []
    pending = pending.subarray(dec.decode(pending, 0, pending.length, out))
    for (const e of out) if (e.kind === 'frame') frames.push(e)
  })
  return {s, frames, closed}
}

const request = (msgId: string, pb: Buffer = Buffer.from('086412056170706c65', 'hex')) => encodeFrame({msgId, methodName: 'Order.makeOrder', pbData: pb})

/** The first bytes of a frame that claims pk_len bytes: start, pk_len, then a valid-looking header. */
function header(pkLen: number): Buffer {
  const full = encodeFrame({msgId: '12345678901234567890', methodName: 'Order.makeOrder', pbData: Buffer.alloc(0)})
  const h = Buffer.from(full.subarray(0, full.length - 5))
  h.writeInt32BE(pkLen, 1)
  return h
}

/** One good call on its own connection: resolves with the reply's msg_id, or undefined if the server closed first. */
async function goodCall(port: number, msgId: string): Promise<string | undefined> {
  const c = await client(port).catch(() => undefined)
  if (c === undefined) return undefined
  c.s.write(request(msgId))
  for (let i = 0; i < 200 && c.frames.length === 0; i++) {
    // A reset (the server still short of descriptors) counts as closed: once() rejects on 'error'.
    const more = await Promise.race([once(c.s, 'data').then(() => true, () => false), c.closed.then(() => false)])
    if (!more) break
  }
  c.s.destroy()
  return c.frames[0]?.msgId
}

describe('serve under attack (built CLI)', () => {
  it('holds buffered input across connections under --max-buffered: the connection holding most is closed and logged, good calls go on', async () => {
    const p = serve(['--max-buffered', '4MiB', '--json'])
    const port = await listening(p, true)
    // Four clients each send 1.5 MiB of a 3 MiB frame: 6 MiB in all, over the 4 MiB budget.
    const hostile = await Promise.all([0, 1, 2, 3].map(() => client(port)))
    for (const h of hostile) h.s.write(Buffer.concat([header(3 * 1024 * 1024), Buffer.alloc(1536 * 1024 - 40, 0x41)]))
    const line = JSON.parse((await p.waitFor(/^\{"type":"limit".*"code":"BUFFER_BUDGET".*\n/m))[0])
    expect(line.buffered).toBeGreaterThan(1024 * 1024)
    expect(line.message).toMatch(/--max-buffered/)
    expect(await goodCall(port, 'good-during-budget')).toBe('good-during-budget')
    const end = await stop(p)
    const stopped = lines(end.stdout).at(-1)!
    expect(stopped.type).toBe('stopped')
    expect(stopped.closedByLimit.BUFFER_BUDGET).toBeGreaterThanOrEqual(1)
    expect(stopped.closedByLimit.BUFFER_BUDGET).toBeLessThanOrEqual(4)
    // The budget is enforced after each chunk: one chunk, and one buffer doubling, may pass it for a moment.
    expect(stopped.peakBuffered).toBeLessThanOrEqual(6 * 1024 * 1024)
  })

  it('closes slowloris connections and an idle one after --idle-timeout, logging each, while good clients are answered', async () => {
    const p = serve(['--idle-timeout', '1000'])
    const port = await listening(p, false)
    // Five slowloris clients: the header of a 10 MiB frame, then one byte every 100 ms.
    const slow = await Promise.all([0, 1, 2, 3, 4].map(() => client(port)))
    for (const c of slow) c.s.write(header(10 * 1024 * 1024))
    const idle = await client(port)
    let tick = 0
    const drip = setInterval(() => {
      for (const c of slow) if (!c.s.destroyed) c.s.write(Buffer.from([0x41]))
      if (++tick >= 300) clearInterval(drip)
    }, 100)
    try {
      const answered: Array<string | undefined> = []
      // Good calls keep coming while the slowloris clients drip, until all of them are closed (bounded).
      let closed = 0
      void Promise.all(slow.map((c) => c.closed.then(() => closed++)))
      for (let i = 0; i < 1000 && closed < slow.length; i++) answered.push(await goodCall(port, `good-${i}`))
      await Promise.all([...slow.map((c) => c.closed), idle.closed])
      expect(answered.length).toBeGreaterThan(0)
      expect(answered).toEqual(answered.map((_, i) => `good-${i}`))
    } finally {
      clearInterval(drip)
    }
    await p.waitFor(/IDLE_TIMEOUT/)
    const end = await stop(p)
    const frameTimeouts = end.stdout.split('\n').filter((l) => /closed \(FRAME_TIMEOUT\)/.test(l))
    expect(frameTimeouts).toHaveLength(5)
    expect(frameTimeouts[0]).toMatch(/unfinished frame \(pk_len 10485760, \d+ bytes of it received\) did not complete within 1000 ms \(--idle-timeout\)/)
    expect(end.stdout.split('\n').filter((l) => /closed \(IDLE_TIMEOUT\)/.test(l))).toHaveLength(1)
    expect(end.stderr).toMatch(/closed by limits: 1 IDLE_TIMEOUT, 5 FRAME_TIMEOUT/)
  })

  it('logs accept failures when file descriptors run out (ulimit -n 64), rate-limited, and counts them in the stop summary', async () => {
    const p = serve([], {nofile: 64})
    const port = await listening(p, false)
    // More clients than descriptors: the kernel completes their handshakes, accept() then fails with EMFILE.
    const many = await Promise.all(Array.from({length: 120}, () => client(port)))
    const line = (await p.waitFor(/^.*accept failed.*\n/m))[0]
    expect(line).toMatch(/accept failed \(MAX_CONNECTIONS\): \d+ connection\(s\) dropped since the previous line \(\d+ connections open, the most the file descriptor limit allows \(ulimit -n 64, /)
    for (const c of many) c.s.destroy()
    await Promise.all(many.map((c) => c.closed))
    // Descriptors are back: the server answers again.
    let answer: string | undefined
    for (let i = 0; i < 20 && answer === undefined; i++) answer = await goodCall(port, `after-emfile-${i}`)
    expect(answer).toMatch(/^after-emfile-/)
    const end = await stop(p)
    const failures = Number(end.stderr.match(/(\d+) accept failure\(s\)/)?.[1])
    expect(failures).toBeGreaterThan(0)
    const logged = end.stdout.split('\n').filter((l) => l.includes('accept failed'))
    const counted = logged.reduce((n, l) => n + Number(l.match(/: (\d+) connection\(s\) dropped/)![1]), 0)
    // Every failure is counted once, and the lines are fewer than the failures when there are many.
    expect(counted).toBe(failures)
    expect(logged.length).toBeLessThanOrEqual(failures)
  })

  it('--json caps a large request (first bytes and length) and rate-limits malformed-input lines per connection with a count', async () => {
    const p = serve(['--json'])
    const port = await listening(p, true)
    const goods = 'x'.repeat(1024 * 1024)
    const big = Buffer.concat([Buffer.from([0x12]), varint(goods.length), Buffer.from(goods)])
    const c = await client(port)
    c.s.write(request('big-request', big))
    const reqLine = (await p.waitFor(/^\{"type":"request".*\n/m))[0].trim()
    expect(reqLine.length).toBeLessThan(4096)
    const req = JSON.parse(reqLine)
    expect(req).toMatchObject({msgId: 'big-request', action: 'reply', requestBytes: big.length, requestHead: big.subarray(0, 32).toString('hex')})
    expect(req.request).toBeUndefined()

    // 200 KiB of garbage with a start byte every 50 bytes: about 4,000 malformed inputs on one connection.
    const g = await client(port)
    const garbage = Buffer.alloc(200 * 1024, 0x41)
    for (let i = 0; i < garbage.length; i += 50) garbage[i] = 0x02
    g.s.end(garbage)
    await g.closed
    await p.waitFor(/"type":"disconnect"|"final":true/)
    const end = await stop(p)
    const all = lines(end.stdout)
    const stopped = all.at(-1)!
    const malformed = all.filter((e) => e.type === 'malformed')
    expect(stopped.malformed).toBeGreaterThan(3000)
    expect(malformed.length).toBeLessThan(20)
    expect(malformed.reduce((n, e) => n + (e.count ?? 1), 0)).toBe(stopped.malformed)
    expect(malformed.at(-1)).toMatchObject({final: true})
    expect(Math.max(...all.map((e) => JSON.stringify(e).length))).toBeLessThan(4096)
  })

  it('logs an RST in the middle of a frame in the plain log, as it logs a half-close there', async () => {
    const p = serve([])
    const port = await listening(p, false)
    const frame = request('cut-by-rst')
    const fin = await client(port)
    fin.s.end(frame.subarray(0, 40))
    await p.waitFor(/TRUNCATED/)
    const rst = await client(port)
    rst.s.write(frame.subarray(0, 40))
    await new Promise((r) => setTimeout(r, 50))
    rst.s.resetAndDestroy()
    const line = (await p.waitFor(/^.*RESET_MID_FRAME.*\n/m))[0]
    expect(line).toMatch(/malformed input RESET_MID_FRAME: connection reset 40 bytes into a frame of pk_len 60 \(40 bytes skipped at stream offset 0\)/)
    const end = await stop(p)
    expect(end.stderr).toMatch(/2 malformed/)
  })
})

function varint(n: number): Buffer {
  const out: number[] = []
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  out.push(n)
  return Buffer.from(out)
}

// Before src/net/malloc-policy.ts, glibc raised its mmap threshold each time a large frame
// buffer was freed, took the next ones from its heap, and kept the holes: RSS stayed ~150 MiB
// above where it started, with nothing held (issue 13's soak criterion).
const MiB = 1024 * 1024
const rssMiB = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024

/** n good calls, one after another on one connection; each must be answered. */
async function goodCalls(port: number, n: number): Promise<void> {
  const {s} = await client(port)
  for (let i = 0; i < n; i++) {
    s.write(request(String(i)))
    const [reply] = await Promise.race([once(s, 'data'), sleep(5000).then(() => [undefined])])
    expect(reply, `good call ${i} answered`).toBeDefined()
  }
  s.destroy()
}

/** A connection that sends `bytes` of a frame claiming 40 MiB, and stays open. */
async function partialFrame(port: number, bytes: number): Promise<Socket> {
  const {s} = await client(port)
  s.write(header(40 * MiB))
  const chunk = Buffer.alloc(64 * 1024, 0x41)
  for (let sent = 0; sent < bytes; sent += chunk.length) if (!s.write(chunk)) await Promise.race([once(s, 'drain'), sleep(2000)])
  return s
}

describe("serve's memory after an attack (built CLI)", () => {
  // Within 30 MiB: before glibc's mmap threshold was held (src/net/malloc-policy.ts) serve ended 40 MiB
  // up after 40 rounds (101 from 61), and 110 up for most of them. Since then it has ended 11-25 MiB up
  // alone (eleven runs on 2026-12-01, the previous stop's main 12-21 in the same rounds), and once 35
  // in a CI run with the other test files beside it: 25 left no room for that machine's moods.
  it('comes back to within 30 MiB of its start once connections holding 2-20 MiB frames are gone', async () => {
    const p = serve(['--json', '-q'])
    const port = await listening(p, true)
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
    for (let i = 0; i < 40 && (curve.at(-1) ?? Infinity) > start + 30; i++) {
      await goodCalls(port, 200)
      await sleep(200)
      curve.push(rssMiB(pid))
    }
    expect(curve.at(-1)! - start, `RSS from ${start.toFixed(0)} MiB, peak ${peak.toFixed(0)}, then ${curve.map((v) => v.toFixed(0)).join(' ')}`).toBeLessThanOrEqual(30)
  }, 90_000)
})
