import {PK_LEN_AT, START} from '../../decoders/tinypb/index.js'
import type {Clock, TimerHandle, TimerQueue} from '../net/index.js'
import type {RpcConnection} from './channel.js'

/** Input held across all connections before the biggest holder is closed: sized for a test server. */
export const DEFAULT_MAX_BUFFERED = 256 * 1024 * 1024
/** A connection silent this long, or holding an unfinished frame this long, is closed (tinyrpc: about 54 s idle). */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000
/** Replies queued for a client that does not read them: past this, its requests are not read either. */
const OUTPUT_HIGH_WATER = 1024 * 1024

export interface ServeLimits {
  /** Bytes of input buffered across all connections (memory of unfinished frames). Default 256 MiB. */
  readonly maxBuffered?: number
  /** ms of silence, or of an unfinished frame (or garbage), before a connection is closed; 0 never. Default 30 s. */
  readonly idleTimeoutMs?: number
  /** Open connections past which a new client is closed at accept; default what `ulimit -n` allows (connectionCeiling). */
  readonly maxConnections?: number
}

/** Why the server closed a connection by itself. Stable codes. */
export type LimitCode =
  | 'IDLE_TIMEOUT' // nothing received for idleTimeoutMs, nothing owed to the client
  | 'FRAME_TIMEOUT' // bytes that did not become a frame (a partial frame, garbage) for idleTimeoutMs
  | 'BUFFER_BUDGET' // the biggest holder when input across connections passed maxBuffered

export const LIMIT_CODES: readonly LimitCode[] = ['IDLE_TIMEOUT', 'FRAME_TIMEOUT', 'BUFFER_BUDGET']

export interface LimitClose {
  readonly code: LimitCode
  /** Memory the connection's unfinished input held (its buffer's size). */
  readonly buffered: number
  /** Bytes received since its last complete frame. */
  readonly received: number
  /** pk_len claimed by the unfinished frame, when its header arrived. */
  readonly pkLen?: number
  /** The limit that was passed: ms for the timeouts, bytes for the budget. */
  readonly limit: number
  /** BUFFER_BUDGET: input held across connections when the limit was passed, and by how many. */
  readonly totalBuffered?: number
  readonly connections?: number
}

interface Guarded {
  readonly c: RpcConnection
  /** Replies the server still owes (delayed ones): the client is waiting, not idle. */
  readonly owes: () => boolean
  held: number
  frames: number
  framesSeen: number
  /** Clock time of the first byte that has not become a frame yet. */
  dirtySince: number | undefined
  receivedSinceFrame: number
  lastByteAt: number
  timer: TimerHandle | undefined
  closed: boolean
}

/**
 * Guards a server's input: a budget for the bytes buffered across all
 * connections (over it, the connections holding the most are closed, so a good
 * client with small frames is never the one to go), a timeout for a connection
 * that is silent or whose bytes do not become a frame (slowloris, a trickle of
 * garbage), and read backpressure for a client that does not read its replies.
 *
 * It only watches: it listens to each connection's socket after the connection
 * has decoded a chunk, and reports a close through onClose before destroying.
 */
export class InputGuard {
  private readonly conns = new Set<Guarded>()
  private readonly maxBuffered: number
  private readonly idleMs: number
  private total = 0
  /** The most input held at once across connections, after each chunk. */
  peak = 0

  constructor(
    limits: ServeLimits,
    private readonly timers: TimerQueue,
    private readonly clock: Clock,
    private readonly onClose: (c: RpcConnection, why: LimitClose) => void,
    /** A connection holding this many bytes of input closed: its buffers are garbage now. */
    private readonly onRelease?: (bytes: number) => void,
  ) {
    this.maxBuffered = limits.maxBuffered ?? DEFAULT_MAX_BUFFERED
    this.idleMs = limits.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS
  }

  /** Input held across connections now. */
  get buffered(): number {
    return this.total
  }

  watch(c: RpcConnection, owes: () => boolean): void {
    const g: Guarded = {
      c,
      owes,
      held: 0,
      frames: 0,
      framesSeen: 0,
      dirtySince: undefined,
      receivedSinceFrame: 0,
      lastByteAt: this.clock.now(),
      timer: undefined,
      closed: false,
    }
    this.conns.add(g)
    c.on('message', () => g.frames++)
    // Registered after the connection's own listener: the chunk is decoded by now.
    c.socket.on('data', (chunk: Buffer) => this.afterChunk(g, chunk.length))
    c.on('drain', () => {
      if (c.socket.isPaused() && c.socket.writableLength < OUTPUT_HIGH_WATER) c.socket.resume()
    })
    c.on('close', () => this.forget(g))
    this.arm(g, this.idleMs)
  }

  private afterChunk(g: Guarded, size: number): void {
    if (g.closed) return
    const now = this.clock.now()
    g.lastByteAt = now
    const b = g.c.in
    const unfinished = b.readable > 0 || g.c.pendingIssue !== undefined
    if (g.frames !== g.framesSeen) {
      // A frame completed in this chunk: what is left over began in it.
      g.framesSeen = g.frames
      g.dirtySince = unfinished ? now : undefined
      g.receivedSinceFrame = unfinished ? b.readable : 0
    } else {
      g.dirtySince ??= now
      g.receivedSinceFrame += size
    }
    // The memory held: the buffer behind the unread bytes (up to twice their size while it grows).
    this.account(g, b.readable > 0 ? b.capacity : 0)
    if (this.total > this.maxBuffered) this.enforceBudget()
    if (!g.closed && g.c.socket.writableLength >= OUTPUT_HIGH_WATER) g.c.socket.pause()
  }

  private account(g: Guarded, held: number): void {
    this.total += held - g.held
    g.held = held
    if (this.total > this.peak) this.peak = this.total
  }

  /** Close the connections holding the most until the rest fits. */
  private enforceBudget(): void {
    const total = this.total
    const connections = [...this.conns].filter((g) => g.held > 0).length
    const biggest = [...this.conns].filter((g) => g.held > 0).sort((a, b) => b.held - a.held)
    for (const g of biggest) {
      if (this.total <= this.maxBuffered) break
      this.close(g, 'BUFFER_BUDGET', this.maxBuffered, {totalBuffered: total, connections})
    }
  }

  private arm(g: Guarded, ms: number): void {
    if (this.idleMs <= 0 || g.closed) return
    g.timer = this.timers.add(ms, () => this.check(g))
  }

  /** The timer fired: close, or sleep until the deadline that the latest bytes moved. */
  private check(g: Guarded): void {
    g.timer = undefined
    if (g.closed) return
    const now = this.clock.now()
    if (g.dirtySince !== undefined) {
      const left = g.dirtySince + this.idleMs - now
      if (left > 0) return this.arm(g, left)
      return this.close(g, 'FRAME_TIMEOUT', this.idleMs)
    }
    const left = g.lastByteAt + this.idleMs - now
    if (left > 0) return this.arm(g, left)
    if (g.owes()) return this.arm(g, this.idleMs)
    this.close(g, 'IDLE_TIMEOUT', this.idleMs)
  }

  private close(g: Guarded, code: LimitCode, limit: number, extra: Partial<LimitClose> = {}): void {
    const pkLen = claimedPkLen(g.c)
    const why: LimitClose = {code, buffered: g.held, received: g.receivedSinceFrame, limit, ...(pkLen === undefined ? {} : {pkLen}), ...extra}
    this.forget(g)
    this.onClose(g.c, why)
    g.c.destroy()
  }

  private forget(g: Guarded): void {
    if (g.closed) return
    g.closed = true
    const held = g.held
    this.account(g, 0)
    if (held > 0) this.onRelease?.(held)
    if (g.timer !== undefined) this.timers.cancel(g.timer)
    g.timer = undefined
    this.conns.delete(g)
  }
}

/** pk_len of the frame waiting in the connection's buffer, if its header is there. */
function claimedPkLen(c: RpcConnection): number | undefined {
  const b = c.in
  if (b.readable < PK_LEN_AT + 4 || b.buffer[b.readIndex] !== START) return undefined
  return b.buffer.readInt32BE(b.readIndex + PK_LEN_AT)
}
