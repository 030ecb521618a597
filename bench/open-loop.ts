// The benchmarks' call generator: makeOrder requests at a fixed rate,
// open-loop (sent on schedule whether or not earlier ones were answered),
// round-robin over a few pipelined connections.

import type {TinyPbFrame, TinyPbMessage} from '../decoders/tinypb/index.js'
import {type NetAddr, TcpClient, type TcpConnection, TinyPbCoder} from '../src/net/index.js'

/** {price: 100, goods: "apple"} as makeOrderRequest. */
const APPLE = Buffer.from('086412056170706c65', 'hex')

export interface OpenLoop {
  /** Calls sent, and answered so far. */
  readonly sent: number
  readonly answered: number
  /** Seconds the sending took. */
  readonly elapsed: number
  /** Wait (at most maxMs) until every call sent is answered. */
  settle(maxMs: number): Promise<void>
  /** Half-close every connection. */
  close(): void
}

/**
 * Send `rate` calls/s until `seconds` have passed, checking `tick` every
 * millisecond (sigkill-loss kills rpcdiag from it, traffic going on).
 */
export async function openLoop(addr: NetAddr, rate: number, seconds: number, opts: {connections?: number; tick?: (elapsedMs: number) => void} = {}): Promise<OpenLoop> {
  const client = new TcpClient<TinyPbFrame, TinyPbMessage>(addr, {coder: () => new TinyPbCoder()})
  const conns: Array<TcpConnection<TinyPbFrame, TinyPbMessage>> = []
  let answered = 0
  for (let i = 0; i < (opts.connections ?? 16); i++) {
    const c = await client.connect()
    if (!c.ok) throw c.error
    c.value.connection.on('message', () => answered++)
    conns.push(c.value.connection)
  }
  let sent = 0
  const total = Math.round(rate * seconds)
  const started = performance.now()
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const ms = performance.now() - started
      const due = Math.min(total, Math.floor((ms / 1000) * rate))
      while (sent < due) {
        conns[sent % conns.length].send({msgId: String(10_000_000_000_000_000_000n + BigInt(sent)), methodName: 'Order.makeOrder', pbData: APPLE})
        sent++
      }
      opts.tick?.(ms)
      if (sent >= total) {
        clearInterval(tick)
        resolve()
      }
    }, 1)
  })
  const elapsed = (performance.now() - started) / 1000
  return {
    get sent() {
      return sent
    },
    get answered() {
      return answered
    },
    elapsed,
    async settle(maxMs) {
      for (const end = performance.now() + maxMs; answered < sent && performance.now() < end; ) await new Promise((r) => setTimeout(r, 20))
    },
    close() {
      for (const c of conns) c.shutdown()
    },
  }
}
