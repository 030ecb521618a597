// A TCP connection as the sniffer sees it: two endpoints, two half-streams, and
// which endpoint is the server once that is known.

import {formatAddr, type NetAddr} from '../../net/index.js'
import type {Dir, HalfStream} from './half-stream.js'

/** How the server side was decided, strongest first. */
export type ServerBy = 'port' | 'syn' | 'answer' | 'guess'

export type CloseReason =
  /** Both sides sent FIN and everything up to them arrived. */
  | 'fin'
  | 'rst'
  /** One side sent FIN and the other stayed silent for the half-close timeout. */
  | 'half-closed'
  /** Nothing on the connection for the idle timeout. */
  | 'idle'
  /** A new SYN on the same four-tuple started a new connection (the ports were reused). */
  | 'reused'
  /** The capture ended with the connection still open. */
  | 'end'

export class TcpFlow<U = unknown> {
  /** The server endpoint ('a' or 'b'), once known. */
  server: 'a' | 'b' | undefined
  serverBy: ServerBy | undefined
  /** The first bytes seen in some direction were not preceded by its SYN. */
  midstream = false
  state: 'open' | 'closed' = 'open'
  closeReason: CloseReason | undefined
  /** The direction whose segment carried the RST, when closeReason is 'rst'. */
  resetBy: Dir | undefined
  lastT: number
  closedAt = 0
  /** TCP segments seen on this connection, and their payload bytes. */
  packets = 0
  bytes = 0
  /** Held out-of-order bytes of both halves: the per-connection memory bound applies to this. */
  heldBytes = 0
  /** The layer above keeps its per-connection state here. */
  user: U | undefined
  /**
   * A bare ACK answered this connection's SYN (at this time): the server still
   * holds an older connection on the same ports, typically in CLOSE_WAIT, and
   * challenges the SYN (RFC 5961). The client resets that old connection and
   * retries its SYN. Cleared once the stale socket has been reported.
   */
  challengeAt: number | undefined

  constructor(
    /** 1-based, in order of first sight. */
    readonly id: number,
    /** The sender of the first segment seen. */
    readonly a: NetAddr,
    readonly b: NetAddr,
    readonly firstT: number,
    readonly halves: readonly [HalfStream<TcpFlow<U>>, HalfStream<TcpFlow<U>>],
  ) {
    this.lastT = firstT
  }

  get client(): NetAddr {
    return this.server === 'a' ? this.b : this.a
  }

  get serverAddr(): NetAddr {
    return this.server === 'a' ? this.a : this.b
  }

  /** The half-stream that carries requests (client -> server). With the server unknown, a -> b. */
  get requestDir(): Dir {
    return this.server === 'a' ? 1 : 0
  }

  /** The direction whose SYN is still unanswered (no SYN-ACK, no data either way), if any. */
  awaitingSynAck(): Dir | undefined {
    // Asked for every bare ACK: no array to loop over.
    const h0 = this.halves[0]
    const h1 = this.halves[1]
    if (h0.synSeen && h0.delivered === 0 && !h0.holding && h0.finSeq === undefined && !h1.started) return 0
    if (h1.synSeen && h1.delivered === 0 && !h1.holding && h1.finSeq === undefined && !h0.started) return 1
    return undefined
  }

  /** Decide the server side; a stronger reason overrides a weaker one, never the reverse. */
  setServer(side: 'a' | 'b', by: ServerBy): void {
    if (this.serverBy !== undefined && RANK[this.serverBy] <= RANK[by]) return
    this.server = side
    this.serverBy = by
  }

  /** "client -> server" (or "a -> b" while the server is unknown), as ss and tcpdump print endpoints. */
  describe(): string {
    return `${formatAddr(this.client)} -> ${formatAddr(this.serverAddr)}`
  }
}

const RANK: Record<ServerBy, number> = {port: 0, syn: 1, answer: 2, guess: 3}

/**
 * Empty buckets kept before they are dropped in one pass (and only while they
 * are at least half the table): see FlowTable.delete. As many as there are
 * ports, so clients cycling through the ephemeral range (28,232 ports on
 * Linux) against a server reuse their buckets and never prune; at most a few
 * MB of empty buckets.
 */
const PRUNE_EMPTY_FROM = 65_536

/**
 * Connections by four-tuple. Keyed by the two ports as one number (no string
 * built and hashed per packet); the few connections that share a port pair
 * are told apart by address.
 */
export class FlowTable<U> {
  private readonly buckets = new Map<number, Array<TcpFlow<U>>>()
  private count = 0
  /** Buckets whose last connection was deleted, left in the map until prune. */
  private empty = 0

  get size(): number {
    return this.count
  }

  /** Port pairs the map holds a bucket for, empty ones included (for tests: it stays bounded). */
  get portPairs(): number {
    return this.buckets.size
  }

  private static portKey(p: number, q: number): number {
    return p < q ? p * 65_536 + q : q * 65_536 + p
  }

  find(src: string, srcPort: number, dst: string, dstPort: number): TcpFlow<U> | undefined {
    const bucket = this.buckets.get(FlowTable.portKey(srcPort, dstPort))
    if (bucket === undefined) return undefined
    for (const f of bucket) {
      const {a, b} = f
      if (a.port === srcPort && b.port === dstPort && a.host === src && b.host === dst) return f
      if (a.port === dstPort && b.port === srcPort && a.host === dst && b.host === src) return f
    }
    return undefined
  }

  add(flow: TcpFlow<U>): void {
    const k = FlowTable.portKey(flow.a.port, flow.b.port)
    const bucket = this.buckets.get(k)
    if (bucket === undefined) this.buckets.set(k, [flow])
    else {
      if (bucket.length === 0) this.empty--
      bucket.push(flow)
    }
    this.count++
  }

  /**
   * A bucket emptied stays in the map, to be dropped with the others in one
   * pass once they are many: a Map that loses and gains a key per connection
   * (a connection per call) rebuilds its hash table in fresh memory on nearly
   * every delete, and V8 allocates those tables where only a full GC frees
   * them (29 MB of old-space garbage on a 200k-connection capture). Pruned every
   * thousand connections, and refilled, it still made 17 MB of it.
   */
  delete(flow: TcpFlow<U>): void {
    const k = FlowTable.portKey(flow.a.port, flow.b.port)
    const bucket = this.buckets.get(k)
    const i = bucket === undefined ? -1 : bucket.indexOf(flow)
    if (i === -1) return
    bucket!.splice(i, 1)
    this.count--
    if (bucket!.length === 0 && ++this.empty >= PRUNE_EMPTY_FROM && this.empty * 2 >= this.buckets.size) this.prune()
  }

  private prune(): void {
    for (const [k, bucket] of this.buckets) if (bucket.length === 0) this.buckets.delete(k)
    this.empty = 0
  }

  /** A snapshot: the table may change while the caller walks it. */
  all(): Array<TcpFlow<U>> {
    const out: Array<TcpFlow<U>> = []
    for (const bucket of this.buckets.values()) for (const f of bucket) out.push(f)
    return out
  }

  clear(): void {
    this.buckets.clear()
    this.count = 0
    this.empty = 0
  }
}

/**
 * Linux hands out ephemeral ports from 32768 up, and services listen below that;
 * the last resort for deciding which endpoint is the server.
 */
export const EPHEMERAL_PORT_MIN = 32_768

/** Which side looks like the server from its port alone, or undefined when the ports do not tell. */
export function serverByPorts(aPort: number, bPort: number): 'a' | 'b' | undefined {
  const aLow = aPort < EPHEMERAL_PORT_MIN
  const bLow = bPort < EPHEMERAL_PORT_MIN
  if (aLow === bLow) return undefined
  return aLow ? 'a' : 'b'
}
