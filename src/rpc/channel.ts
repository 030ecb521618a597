import {ERROR_PEER_CLOSED, ERROR_RPC_CALL_TIMEOUT, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {NetError} from '../errors.js'
import {type Clock, type DecodeIssue, systemClock, type TcpConnection, type TimerHandle, TimerQueue} from '../net/index.js'
import type {RpcController} from './controller.js'

export type RpcConnection = TcpConnection<TinyPbFrame, TinyPbMessage>

/**
 * A response that answers no call in flight. rocket re-sends every earlier reply
 * on a reused connection, so a reply for an msg_id already answered is the
 * usual case ("duplicate"); "late" answers a call that already timed out;
 * "unknown" matches nothing this channel ever sent.
 */
export interface StrayResponse {
  readonly kind: 'duplicate' | 'late' | 'unknown'
  readonly msgId: string
  readonly methodName: string
  readonly errCode: number
  readonly pkLen: number
  /** Clock time of arrival. */
  readonly at: number
}

export type StrayKind = StrayResponse['kind']

/** How many examples of strays and malformed input a channel keeps; the counts cover all. */
const EXAMPLES_KEPT = 100

export interface ChannelOptions {
  /** Shared deadline queue (a load test shares one across connections). */
  timers?: TimerQueue
  clock?: Clock
  /** How many answered and timed-out msg_ids are remembered to classify strays (default 4096). */
  memory?: number
}

interface Pending {
  readonly controller: RpcController
  readonly methodName: string
  readonly settled: () => void
  timer: TimerHandle | undefined
}

/**
 * A Set that forgets its oldest entries beyond a limit, oldest by first
 * insertion: a ring of the keys tells which to forget, without an iterator
 * per add (a load test adds one per call).
 */
class RecentSet {
  private readonly items = new Set<string>()
  private readonly ring: string[] = []
  private next = 0
  constructor(private readonly limit: number) {}
  add(k: string): void {
    if (this.limit <= 0 || this.items.has(k)) return
    this.items.add(k)
    if (this.ring.length < this.limit) this.ring.push(k)
    else {
      this.items.delete(this.ring[this.next])
      this.ring[this.next] = k
      this.next = (this.next + 1) % this.limit
    }
  }
  has(k: string): boolean {
    return this.items.has(k)
  }
}

/**
 * Calls over one TinyPB connection, after rocket's RpcChannel: a pending-call
 * map keyed by msg_id, deadlines on a TimerQueue, and responses paired by msg_id
 * only. Any number of calls may be in flight (pipelining); a response that
 * pairs with none is recorded as a stray and never taken as an answer.
 */
export class RpcChannel {
  private readonly pending = new Map<string, Pending>()
  private readonly answered: RecentSet
  private readonly timedOut: RecentSet
  private readonly timers: TimerQueue
  private readonly ownTimers: boolean
  private readonly clock: Clock
  private readonly strayList: StrayResponse[] = []
  private readonly strayKinds: Record<StrayKind, number> = {duplicate: 0, late: 0, unknown: 0}
  private readonly issueList: DecodeIssue[] = []
  private issueCount = 0
  /** The last frame the peer cut off by closing (a TRUNCATED issue). */
  private lastCut: DecodeIssue | undefined
  /** Why the channel is done: the error, or what makes it when a call first needs it. */
  private dead: NetError | (() => NetError) | undefined

  constructor(
    readonly connection: RpcConnection,
    opts: ChannelOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock
    this.ownTimers = opts.timers === undefined
    this.timers = opts.timers ?? new TimerQueue(this.clock)
    this.answered = new RecentSet(opts.memory ?? 4096)
    this.timedOut = new RecentSet(opts.memory ?? 4096)
    // Ahead of the connection's own listener, so a call sees its first byte before its frame completes.
    connection.socket.prependListener('data', () => this.onBytes())
    connection.on('message', (f) => this.onFrame(f))
    connection.on('malformed', (i) => {
      if (i.code === 'TRUNCATED') this.lastCut = i
      this.issueCount++
      if (this.issueList.length < EXAMPLES_KEPT) this.issueList.push(i)
    })
    connection.on('peer-end', () => this.failAll())
    connection.on('close', (info) => this.failAll(info.error))
  }

  /** Calls sent and not yet answered, failed or timed out. */
  get inFlight(): number {
    return this.pending.size
  }

  /** False once the connection failed or closed: open a new one. */
  get usable(): boolean {
    return this.dead === undefined && this.connection.state === 'Connected'
  }

  /** Examples of responses that answered no call in flight: the first 100 (strayCounts counts all). */
  get strays(): readonly StrayResponse[] {
    return this.strayList
  }

  /** Every stray seen, by kind: rocket re-sends all earlier replies, so a reused connection passes 100 soon. */
  get strayCounts(): Readonly<Record<StrayKind, number>> {
    return this.strayKinds
  }

  get strayTotal(): number {
    return this.strayKinds.duplicate + this.strayKinds.late + this.strayKinds.unknown
  }

  /** Examples of malformed input on this connection (garbage skipped, frames cut off): the first 100. */
  get issues(): readonly DecodeIssue[] {
    return this.issueList
  }

  /** Every malformed input seen, not only the examples kept. */
  get issueTotal(): number {
    return this.issueCount
  }

  /** The peer closed while a frame of its was still incomplete. */
  get cutMidFrame(): boolean {
    return this.lastCut !== undefined
  }

  /**
   * Send one request and settle controller when its response arrives, its
   * deadline passes or the connection ends. Resolves, never rejects: failures
   * land in controller.error.
   */
  call(controller: RpcController, methodName: string, pbData: Uint8Array): Promise<void> {
    return new Promise<void>((resolve) => this.start(controller, methodName, pbData, resolve))
  }

  /**
   * call() without its promise, for the load test's thousands of calls a
   * second: settled runs once the controller is settled, at once when the
   * channel is already dead.
   */
  start(controller: RpcController, methodName: string, pbData: Uint8Array, settled: () => void): void {
    if (this.dead !== undefined) {
      this.finish(controller, this.deathError())
      return settled()
    }
    if (this.pending.has(controller.msgId)) {
      this.finish(controller, new NetError('DUPLICATE_MSG_ID', `msg_id ${controller.msgId} is already in flight on this connection`))
      return settled()
    }
    const p: Pending = {controller, methodName, settled, timer: undefined}
    this.pending.set(controller.msgId, p)
    controller.times.sentAt = this.clock.now()
    this.connection.send({msgId: controller.msgId, methodName, pbData})
    p.timer = this.timers.at(controller.deadline.at, () => this.onTimeout(p))
  }

  /** Half-close our side (like rocket's client after its reply); pending calls still get their answers. */
  shutdown(): void {
    this.connection.shutdown()
  }

  /** Close now; calls in flight fail with the given error. */
  destroy(error?: NetError): void {
    this.failAll(error, () => new NetError('CHANNEL_CLOSED', 'channel closed with calls in flight', {errCode: ERROR_PEER_CLOSED}))
    this.connection.destroy()
    if (this.ownTimers) this.timers.clear()
  }

  private onTimeout(p: Pending): void {
    const c = p.controller
    if (this.pending.get(c.msgId) !== p) return
    this.pending.delete(c.msgId)
    this.timedOut.add(c.msgId)
    this.settle(p, new NetError('CALL_TIMEOUT', `no response to ${p.methodName} (msg_id ${c.msgId}) within ${c.timeoutMs} ms`, {errCode: ERROR_RPC_CALL_TIMEOUT}))
  }

  private onBytes(): void {
    if (this.pending.size === 0) return
    const now = this.clock.now()
    for (const p of this.pending.values()) p.controller.times.firstByteAt ??= now
  }

  private onFrame(f: TinyPbFrame): void {
    const msgId = f.msgId
    const p = this.pending.get(msgId)
    if (p === undefined) {
      const kind: StrayKind = this.answered.has(msgId) ? 'duplicate' : this.timedOut.has(msgId) ? 'late' : 'unknown'
      this.strayKinds[kind]++
      if (this.strayList.length < EXAMPLES_KEPT) {
        this.strayList.push({kind, msgId, methodName: f.methodName, errCode: f.errCode, pkLen: f.pkLen, at: this.clock.now()})
      }
      return
    }
    this.pending.delete(msgId)
    this.answered.add(msgId)
    const c = p.controller
    c.response = f
    c.errCode = f.errCode
    c.errInfo = f.errInfo
    if (f.methodName !== p.methodName) c.methodMismatch = f.methodName
    this.settle(p, undefined)
  }

  private peerClosedError(): NetError {
    const cut = this.lastCut
    const why = cut === undefined ? 'peer closed the connection without answering' : `peer closed the connection mid-frame (${cut.message})`
    return new NetError('PEER_CLOSED', why, {errCode: ERROR_PEER_CLOSED})
  }

  /**
   * The channel is done: calls in flight fail with error, else with what
   * orElse makes (by default, the peer closed). An error is made only when a
   * call needs it: with a connection per call, one per connection was most of
   * a close's cost (an Error captures a stack trace).
   */
  private failAll(error?: NetError, orElse: () => NetError = () => this.peerClosedError()): void {
    if (this.dead !== undefined) return
    this.dead = error ?? orElse
    if (this.pending.size === 0) return
    const e = this.deathError()
    const all = [...this.pending.values()]
    this.pending.clear()
    for (const p of all) this.settle(p, e)
  }

  private deathError(): NetError {
    if (typeof this.dead === 'function') this.dead = this.dead()
    return this.dead!
  }

  private settle(p: Pending, error: NetError | undefined): void {
    if (p.timer !== undefined) this.timers.cancel(p.timer)
    this.finish(p.controller, error)
    p.settled()
  }

  private finish(c: RpcController, error: NetError | undefined): void {
    if (error !== undefined) c.error = error
    c.times.finishedAt = this.clock.now()
  }
}
