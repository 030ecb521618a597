import {describeErrorCode, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {err, type NetError, ok, type Result, UsageError} from '../errors.js'
import {type Clock, DEFAULT_TIMEOUT_MS, type Deadline, deadlineIn, type NetAddr, systemClock, TcpClient, TimerQueue, TinyPbCoder} from '../net/index.js'
import {type LatencySummary, summarize} from '../stats/index.js'
import type {PreparedCall} from './call-prepare.js'
import {RpcChannel, type StrayResponse} from './channel.js'
import {RpcController} from './controller.js'
import {unansweredCallCauses} from './diagnose.js'
import {MsgIdGenerator} from './msg-id.js'

/**
 * reuse: C connections, one call in flight on each (a new connection only after one dies).
 * per-call: a new connection for every call, as rocket's own client does.
 * pipeline: C connections with K calls in flight on each (tinyrpc copes; rocket drops them).
 */
export type LoadMode = 'reuse' | 'per-call' | 'pipeline'

export interface LoadOptions {
  readonly addr: NetAddr
  readonly prepared: PreparedCall
  readonly repeat: number
  readonly concurrency: number
  readonly connectionPerCall?: boolean
  /** Calls in flight per connection (default 1). */
  readonly pipeline?: number
  /** Per call: one deadline for connecting (when the call needs a connection) and the answer; default DEFAULT_TIMEOUT_MS. */
  readonly timeoutMs?: number
  readonly connectTimeoutMs?: number
  readonly clock?: Clock
  readonly msgIds?: MsgIdGenerator
  /** Called after each finished call with the number finished so far. */
  readonly onProgress?: (done: number) => void
  /** Called with each finished call (for reports: the run over time). */
  readonly onCall?: (c: LoadCallSample) => void
}

/** One finished call of a load run: times are ms since the run started. */
export interface LoadCallSample {
  readonly msgId: string
  /** When its latency began: before the connect for a call on its own connection, else at the send. */
  readonly startMs: number
  readonly endMs: number
  /** Set when an answer came: 0 or the server's err_code. */
  readonly errCode?: number
  /** Set when no answer came: the transport error (CALL_TIMEOUT, PEER_CLOSED...). */
  readonly error?: {readonly code: string; readonly message: string}
}

export interface LoadReport {
  readonly mode: LoadMode
  readonly concurrency: number
  readonly pipeline: number
  readonly calls: number
  /** Answered with err_code 0. */
  readonly ok: number
  /** Answered with err_code != 0, by code. */
  readonly serverErrors: ReadonlyArray<{readonly errCode: number; readonly errName: string; readonly count: number}>
  /** Not answered, by error code (CALL_TIMEOUT, PEER_CLOSED, CONNECT_REFUSED...), with one message as an example. */
  readonly transportErrors: ReadonlyArray<{readonly code: string; readonly count: number; readonly example: string}>
  /** Responses whose msg_id matched no call in flight: counted, never taken as an answer. */
  readonly strays: {
    readonly total: number
    readonly duplicate: number
    readonly late: number
    readonly unknown: number
    readonly examples: readonly StrayResponse[]
  }
  /** Malformed input seen (garbage skipped, frames cut short). */
  readonly malformed: number
  readonly connections: number
  readonly durationMs: number
  readonly callsPerSec: number
  /**
   * CPU this process spent over the run (user + system, all threads): near
   * durationMs, the client, not the server, was the bottleneck.
   */
  readonly clientCpuMs: number
  /** Latency of answered calls (ok and server errors), ms. */
  readonly latency?: LatencySummary
  readonly samples: readonly number[]
  /** Likely causes when calls went unanswered. */
  readonly causes: readonly string[]
}

type Channel = RpcChannel

/**
 * A small load test like ghz or hey, over the same channel as a single call.
 * Fails as a value only when no connection could ever be opened (refused,
 * unreachable); every other failure is counted in the report.
 */
export async function runLoad(opts: LoadOptions): Promise<Result<LoadReport, NetError | UsageError>> {
  const clock = opts.clock ?? systemClock
  const p = opts.prepared
  const pipeline = Math.max(1, opts.pipeline ?? 1)
  const mode: LoadMode = opts.connectionPerCall ? 'per-call' : pipeline > 1 ? 'pipeline' : 'reuse'
  if (!(opts.repeat >= 1) || !(opts.concurrency >= 1)) return err(new UsageError('BAD_LOAD', '--repeat and --concurrency must be at least 1'))
  if (opts.connectionPerCall && pipeline > 1) return err(new UsageError('BAD_LOAD', '--pipeline needs reused connections: drop --connection-per-call'))
  if (p.msgId !== undefined && pipeline > 1) {
    return err(new UsageError('BAD_LOAD', 'a fixed --msg-id cannot be pipelined: responses are paired by msg_id, so each call in flight needs its own'))
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const msgIds = opts.msgIds ?? new MsgIdGenerator()
  const timers = new TimerQueue(clock)
  const client = new TcpClient<TinyPbFrame, TinyPbMessage>(opts.addr, {
    coder: () => new TinyPbCoder(),
    connectTimeoutMs: opts.connectTimeoutMs,
    clock,
  })

  let next = 0
  let done = 0
  let okCount = 0
  let connections = 0
  let everConnected = false
  let fatal: NetError | undefined
  let lastConnectError: NetError | undefined
  const samples: number[] = []
  const serverErrors = new Map<number, number>()
  const transport = new Map<string, {count: number; example: string}>()
  const retired: Channel[] = []
  const live = new Set<Channel>()

  const countTransport = (e: NetError) => {
    const t = transport.get(e.code)
    if (t === undefined) transport.set(e.code, {count: 1, example: e.message})
    else t.count++
  }
  const started = clock.now()
  const finishCall = (c: RpcController, startAt: number) => {
    done++
    const endAt = c.times.finishedAt ?? clock.now()
    opts.onCall?.({
      msgId: c.msgId,
      startMs: startAt - started,
      endMs: endAt - started,
      ...(c.error !== undefined ? {error: {code: c.error.code, message: c.error.message}} : {errCode: c.errCode}),
    })
    if (c.error !== undefined) countTransport(c.error)
    else {
      samples.push(endAt - startAt)
      if (c.errCode === 0) okCount++
      else serverErrors.set(c.errCode, (serverErrors.get(c.errCode) ?? 0) + 1)
    }
    opts.onProgress?.(done)
  }
  const open = async (within: Deadline): Promise<Channel | undefined> => {
    const r = await client.connect(within)
    if (!r.ok) {
      lastConnectError = r.error
      // Nothing ever connected: the server is not there; stop instead of failing every call alike.
      if (!everConnected) fatal ??= r.error
      return undefined
    }
    everConnected = true
    connections++
    const ch = new RpcChannel(r.value.connection, {timers, clock})
    live.add(ch)
    return ch
  }
  const retire = (ch: Channel) => {
    if (!live.delete(ch)) return
    retired.push(ch)
    ch.destroy()
  }
  const take = () => (fatal === undefined && next < opts.repeat ? next++ : -1)

  /**
   * Calls on the channel `get` hands out (a fresh one per call, or this lane's
   * shared one) until none are left. Each call's deadline starts before it
   * asks for a channel, so a connect (its own, or the lane's reconnect) spends
   * the same budget as the wait for the answer. A call on its own connection is timed
   * from before the connect, as rocket's client waits; on a reused one from
   * the send. Stops when nothing could ever connect.
   *
   * Callbacks, not await: when a usable channel is at hand, the next call
   * starts from the settled callback of the last one, in the turn its answer
   * arrived (no promise per call). Calls that settle at once (a dead channel)
   * go round the loop instead of nesting.
   */
  const lane = (get: (within: Deadline) => Channel | undefined | Promise<Channel | undefined>, perCall: boolean): Promise<void> =>
    new Promise<void>((laneDone) => {
      /** Start a call; true when it is over already. */
      const begin = (ch: Channel | undefined, startAt: number, deadline: Deadline): boolean => {
        const c = new RpcController(p.msgId ?? msgIds.next(), deadline, startAt)
        if (ch === undefined) {
          if (fatal !== undefined) {
            laneDone()
            return false
          }
          c.error = lastConnectError
          c.times.finishedAt = clock.now()
          finishCall(c, startAt)
          return true
        }
        let starting = true
        let over = false
        ch.start(c, p.wireName, p.pbData, () => {
          if (perCall) retire(ch)
          finishCall(c, perCall ? startAt : (c.times.sentAt ?? startAt))
          if (starting) over = true
          else next()
        })
        starting = false
        return over
      }
      const next = (): void => {
        for (;;) {
          if (take() === -1) return laneDone()
          const startAt = clock.now()
          const deadline = deadlineIn(clock, timeoutMs)
          const got = get(deadline)
          if (got instanceof Promise) {
            got.then((ch) => begin(ch, startAt, deadline) && next())
            return
          }
          if (!begin(got, startAt, deadline)) return
        }
      }
      next()
    })
  const perCallLane = () => lane(open, true)
  // Shared per connection by its K lanes: one reconnect at a time.
  const connectionLoop = async () => {
    let ch: Channel | undefined
    let opening: Promise<Channel | undefined> | undefined
    const reopen = async (within: Deadline): Promise<Channel | undefined> => {
      if (ch !== undefined) retire(ch)
      opening ??= open(within).finally(() => (opening = undefined))
      ch = await opening
      return ch
    }
    const usable = (within: Deadline) => (ch !== undefined && ch.usable ? ch : reopen(within))
    await Promise.all(Array.from({length: pipeline}, () => lane(usable, false)))
    if (ch !== undefined) retire(ch)
  }
  const cpuAtStart = process.cpuUsage()
  const workers = Math.min(opts.concurrency, opts.repeat)
  await Promise.all(Array.from({length: workers}, mode === 'per-call' ? perCallLane : connectionLoop))
  const durationMs = clock.now() - started
  const cpu = process.cpuUsage(cpuAtStart)
  for (const ch of [...live]) retire(ch)
  timers.clear()
  if (fatal !== undefined && okCount === 0 && samples.length === 0) return err(fatal)

  const examples: StrayResponse[] = []
  const byKind = {duplicate: 0, late: 0, unknown: 0}
  let malformed = 0
  for (const ch of retired) {
    for (const kind of ['duplicate', 'late', 'unknown'] as const) byKind[kind] += ch.strayCounts[kind]
    examples.push(...ch.strays.slice(0, Math.max(0, 5 - examples.length)))
    malformed += ch.issueTotal
  }
  const transportErrors = [...transport].map(([code, t]) => ({code, ...t})).sort((a, b) => b.count - a.count)
  return ok({
    mode,
    concurrency: opts.concurrency,
    pipeline,
    calls: done,
    ok: okCount,
    serverErrors: [...serverErrors].map(([errCode, count]) => ({errCode, errName: describeErrorCode(errCode), count})).sort((a, b) => b.count - a.count),
    transportErrors,
    strays: {total: byKind.duplicate + byKind.late + byKind.unknown, ...byKind, examples},
    malformed,
    connections,
    durationMs,
    callsPerSec: durationMs > 0 ? (done * 1000) / durationMs : 0,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    latency: summarize(samples),
    samples,
    causes: unansweredCallCauses(
      p,
      transportErrors.map((e) => e.code),
      retired.some((ch) => ch.cutMidFrame),
    ),
  })
}
