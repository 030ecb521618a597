// The soak's clients: good callers at a steady rate, and hostile ones (garbage,
// huge lengths, slowloris, RST mid-frame). Every loop stops when its phase's
// `until` passes, and waits are bounded, so the soak always ends.
import {randomBytes} from 'node:crypto'
import {once} from 'node:events'
import {connect, type Socket} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'

import {encodeFrame, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {deadlineIn, type NetAddr, systemClock, TcpClient, TinyPbCoder} from '../../src/net/index.js'
import {MsgIdGenerator, RpcChannel, RpcController} from '../../src/rpc/index.js'

const METHOD = 'Order.makeOrder'
/** makeOrderRequest {price: 100, goods: "apple"}: answered with order_id 20230514 by examples/order-responses.json. */
const REQUEST = Buffer.from('086412056170706c65', 'hex')
/** A good call that takes longer than this is counted unanswered. */
export const GOOD_TIMEOUT_MS = 10_000

export interface GoodCounts {
  sent: number
  answered: number
  unanswered: number
  /** The first few failures, as "CODE: message". */
  readonly examples: string[]
}

/**
 * `connections` clients making one call at a time, `perCall` of them on a new
 * connection per call (like rocket's client), the rest on one connection each,
 * together about `rate` calls a second. The counts fill in as the calls go.
 */
export function goodTraffic(addr: NetAddr, opts: {connections: number; perCall: number; rate: number; until: () => boolean}): {counts: GoodCounts; done: Promise<void>} {
  const counts: GoodCounts = {sent: 0, answered: 0, unanswered: 0, examples: []}
  const ids = new MsgIdGenerator()
  const gapMs = (1000 * opts.connections) / opts.rate
  const client = new TcpClient<TinyPbFrame, TinyPbMessage>(addr, {coder: () => new TinyPbCoder(), connectTimeoutMs: GOOD_TIMEOUT_MS})
  const fail = (what: string) => {
    counts.unanswered++
    if (counts.examples.length < 5) counts.examples.push(what)
  }
  const loop = async (perCall: boolean) => {
    let channel: RpcChannel | undefined
    while (!opts.until()) {
      const started = performance.now()
      if (channel === undefined || !channel.usable) {
        channel?.destroy()
        const c = await client.connect()
        counts.sent++
        if (!c.ok) {
          fail(`${c.error.code}: ${c.error.message}`)
          channel = undefined
          await sleep(gapMs)
          continue
        }
        channel = new RpcChannel(c.value.connection)
      } else {
        counts.sent++
      }
      const ctl = new RpcController(ids.next(), deadlineIn(systemClock, GOOD_TIMEOUT_MS), performance.now())
      await channel.call(ctl, METHOD, REQUEST)
      if (ctl.error === undefined && ctl.response !== undefined && ctl.errCode === 0) counts.answered++
      else fail(ctl.error === undefined ? `err_code ${ctl.errCode}` : `${ctl.error.code}: ${ctl.error.message}`)
      if (perCall) {
        channel.destroy()
        channel = undefined
      }
      const left = gapMs - (performance.now() - started)
      if (left > 0) await sleep(left)
    }
    channel?.destroy()
  }
  const done = Promise.all(Array.from({length: opts.connections}, (_, i) => loop(i < opts.perCall))).then(() => {})
  return {counts, done}
}

export type HostileKind = 'garbage' | 'huge' | 'slowloris' | 'rst'

export interface HostileCounts {
  /** Connections opened, by kind. */
  readonly opened: Record<HostileKind, number>
  /** ...of which the server closed (FIN or RST) while the client still had bytes to send: huge and slowloris. */
  readonly closedByServer: Record<HostileKind, number>
  bytes: number
}

function open(addr: NetAddr): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect({host: addr.host, port: addr.port})
    s.on('error', () => resolve(undefined))
    s.once('connect', () => resolve(s))
  })
}

/** The first bytes of a frame that claims pkLen: a valid-looking header, then nothing. */
function header(pkLen: number): Buffer {
  const f = encodeFrame({msgId: '66666666666666666666', methodName: METHOD, pbData: Buffer.alloc(0)})
  const h = Buffer.from(f.subarray(0, f.length - 5))
  h.writeInt32BE(pkLen, 1)
  return h
}

/** Write, waiting (at most 2 s) for the kernel to take it; false once the socket is gone. */
function write(s: Socket, b: Buffer): Promise<boolean> {
  if (s.destroyed) return Promise.resolve(false)
  if (s.write(b)) return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = () => {
      s.off('drain', done)
      s.off('close', done)
      clearTimeout(timer)
      resolve(!s.destroyed)
    }
    const timer = setTimeout(done, 2000)
    s.on('drain', done)
    s.on('close', done)
  })
}

/**
 * Hostile clients until `until()`: `garbage` random bytes then FIN, `huge`
 * frames claiming 60 MiB sent as fast as the server reads, `slowloris` one
 * byte every 100 ms into a 10 MiB frame, `rst` half a frame then a reset.
 */
export async function hostileTraffic(addr: NetAddr, opts: {until: () => boolean; huge: number; slowloris: number}): Promise<HostileCounts> {
  const kinds: HostileKind[] = ['garbage', 'huge', 'slowloris', 'rst']
  const counts: HostileCounts = {
    opened: Object.fromEntries(kinds.map((k) => [k, 0])) as Record<HostileKind, number>,
    closedByServer: Object.fromEntries(kinds.map((k) => [k, 0])) as Record<HostileKind, number>,
    bytes: 0,
  }
  const session = async (kind: HostileKind, body: (s: Socket, closed: () => boolean) => Promise<void>) => {
    const s = await open(addr)
    if (s === undefined) return sleep(100)
    counts.opened[kind]++
    let serverClosed = false
    s.on('end', () => (serverClosed = true))
    s.on('error', () => (serverClosed = true))
    s.on('data', () => {})
    await body(s, () => serverClosed || s.destroyed)
    if (serverClosed && (kind === 'huge' || kind === 'slowloris')) counts.closedByServer[kind]++
    s.destroy()
  }
  const repeat = async (kind: HostileKind, pauseMs: number, body: (s: Socket, closed: () => boolean) => Promise<void>) => {
    while (!opts.until()) {
      await session(kind, body)
      await sleep(pauseMs)
    }
  }
  const garbage = repeat('garbage', 200, async (s) => {
    const bytes = randomBytes(256 * 1024)
    counts.bytes += bytes.length
    s.end(bytes)
    await Promise.race([once(s, 'close').catch(() => {}), sleep(5000)])
  })
  const huge = Array.from({length: opts.huge}, () =>
    repeat('huge', 100, async (s, closed) => {
      const chunk = Buffer.alloc(1024 * 1024, 0x41)
      let sent = 0
      if (!(await write(s, header(60 * 1024 * 1024)))) return
      while (!closed() && !opts.until() && sent < 59 * 1024 * 1024 && (await write(s, chunk))) {
        sent += chunk.length
        counts.bytes += chunk.length
      }
    }),
  )
  const slow = Array.from({length: opts.slowloris}, () =>
    repeat('slowloris', 100, async (s, closed) => {
      if (!(await write(s, header(10 * 1024 * 1024)))) return
      while (!closed() && !opts.until()) {
        s.write(Buffer.from([0x41]))
        counts.bytes++
        await sleep(100)
      }
    }),
  )
  const rst = repeat('rst', 100, async (s) => {
    s.write(encodeFrame({msgId: '77777777777777777777', methodName: METHOD, pbData: REQUEST}).subarray(0, 40))
    counts.bytes += 40
    await sleep(20)
    s.resetAndDestroy()
  })
  await Promise.all([garbage, ...huge, ...slow, rst])
  return counts
}
