// tinypb_server_close_wait_connections: server sockets the peer closed and the
// server never did (rocket never closes a connection: they pile up). Read
// from the socket table, on a scrape, at most once per interval. The kernel
// writes out every socket of the namespace for /proc/net/tcp: with 26,000
// sockets (TIME-WAIT included) that took 200-1000 ms here, so a scrape answers
// with the last count and starts the next read (see `current`).

import type {PortRange} from '../net/index.js'
import {formatAddr, inPortRanges, systemClock, type Clock} from '../net/index.js'
import {collectSockets, type CollectOptions, type SocketTable, unmapIpv4} from '../sockets/index.js'

export interface CloseWaitOptions {
  /** Server ports (--port): a CLOSE-WAIT socket counts when its local port is one. Without: when a listener has its port. */
  readonly ports?: readonly PortRange[]
  /** Another namespace's tables (/proc/PID/net, --netns). */
  readonly netDir?: string
  /** Least time between two reads of the table (default 5000 ms). */
  readonly intervalMs?: number
  readonly clock?: Clock
  /** Default collectSockets. */
  readonly collect?: (opts: CollectOptions) => Promise<SocketTable>
}

export const DEFAULT_CLOSE_WAIT_INTERVAL_MS = 5000

export class CloseWaitCounts {
  private last: Map<string, number> | undefined
  private lastAt = -Infinity
  private reading: Promise<Map<string, number>> | undefined
  /** Servers counted once: they stay at 0 rather than vanish. */
  private readonly known = new Set<string>()
  /** Table reads made. */
  reads = 0

  constructor(private readonly opts: CloseWaitOptions = {}) {}

  /**
   * For a scrape: the last counts at once, a new read started when they are
   * older than the interval (the first call waits for the first read). The
   * gauge lags the table by at most one interval plus one read.
   */
  async current(): Promise<ReadonlyMap<string, number>> {
    if (this.last === undefined) return this.counts()
    void this.counts().catch(() => undefined)
    return this.last
  }

  /** CLOSE-WAIT sockets per server "addr:port", read now if the last read is older than the interval. */
  async counts(): Promise<ReadonlyMap<string, number>> {
    const clock = this.opts.clock ?? systemClock
    if (this.last !== undefined && clock.now() - this.lastAt < (this.opts.intervalMs ?? DEFAULT_CLOSE_WAIT_INTERVAL_MS)) return this.last
    this.reading ??= this.read().finally(() => {
      this.reading = undefined
    })
    return this.reading
  }

  private async read(): Promise<Map<string, number>> {
    const clock = this.opts.clock ?? systemClock
    const collect = this.opts.collect ?? collectSockets
    this.reads++
    const table = await collect({
      filter: {protocols: new Set(['tcp']), states: new Set(['CLOSE-WAIT']), ports: this.opts.ports},
      netDir: this.opts.netDir,
      owners: false,
      backlog: false,
    })
    const listening = new Set(table.listeners.map((l) => l.localPort))
    const out = new Map<string, number>()
    for (const k of this.known) out.set(k, 0)
    for (const s of table.sockets) {
      if (s.state !== 'CLOSE-WAIT') continue
      const server = this.opts.ports !== undefined && this.opts.ports.length > 0 ? inPortRanges(s.localPort, this.opts.ports) : listening.has(s.localPort)
      if (!server) continue
      const key = formatAddr({host: unmapIpv4(s.localAddress), port: s.localPort})
      this.known.add(key)
      out.set(key, (out.get(key) ?? 0) + 1)
    }
    this.last = out
    this.lastAt = clock.now()
    return out
  }
}
