// A TCP connection as the sniffer sees it: two endpoints, two half-streams, and
// which endpoint is the server once that is known.

import {formatAddr, type NetAddr} from '../net/index.js'
import type {HalfStream} from './reassembly-half.js'

/** Index of a half-stream: 0 carries bytes a -> b, 1 carries b -> a. */
export type Dir = 0 | 1

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
  /** A new SYN on the same four-tuple started a new connection. */
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
  lastT: number
  closedAt = 0
  /** TCP segments seen on this connection, and their payload bytes. */
  packets = 0
  bytes = 0
  /** Held out-of-order bytes of both halves: the per-connection memory bound applies to this. */
  heldBytes = 0
  /** The layer above keeps its per-connection state here. */
  user: U | undefined

  constructor(
    /** 1-based, in order of first sight. */
    readonly id: number,
    readonly key: string,
    /** The sender of the first segment seen. */
    readonly a: NetAddr,
    readonly b: NetAddr,
    readonly firstT: number,
    readonly halves: readonly [HalfStream, HalfStream],
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
 * One key for both directions of a four-tuple: the lower endpoint first, so a
 * segment and its reply find the same flow with a single map lookup.
 */
export function flowKey(src: string, srcPort: number, dst: string, dstPort: number): string {
  return src < dst || (src === dst && srcPort < dstPort) ? `${src} ${srcPort} ${dst} ${dstPort}` : `${dst} ${dstPort} ${src} ${srcPort}`
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
