import {describeErrorCode, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {err, type NetError, ok, type Result, UsageError} from '../errors.js'
import {type Clock, DEFAULT_TIMEOUT_MS, type Deadline, deadlineIn, type NetAddr, systemClock, TcpClient, TimerQueue, TinyPbCoder} from '../net/index.js'
import {DISTRIBUTION_PERCENTILES, type LatencySummary, LogHistogram, type PercentilePoint} from '../stats/index.js'
import type {PreparedCall} from './call-prepare.js'
import {RpcChannel, type StrayResponse} from './channel.js'
import {RpcController} from './controller.js'
import {RatePacer} from './load-pacer.js'
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
  /** Stop after N measured calls; with durationMs, whichever comes first. One of the two is needed. */
  readonly repeat?: number
  /** Stop starting calls this long after the measured part began (calls in flight then finish, within their timeout). */
  readonly durationMs?: number
  /** Open-loop rate limit across all connections, calls per second (see RatePacer). */
  readonly rps?: number
  /** Calls made first and left out of every figure: the first N calls, or those started in the first ms. */
  readonly warmup?: Warmup
  readonly concurrency: number
  readonly connectionPerCall?: boolean
  /** Calls in flight per connection (default 1). */
  readonly pipeline?: number
  /** Per call: one deadline for connecting (when the call needs a connection) and the answer; default DEFAULT_TIMEOUT_MS. */
  readonly timeoutMs?: number
  readonly connectTimeoutMs?: number
  readonly clock?: Clock
  readonly msgIds?: MsgIdGenerator
  /** Stops starting calls when aborted (Ctrl-C); the calls in flight finish and the report covers what was done. */
  readonly signal?: AbortSignal
  /** Counters this run keeps current, for a progress bar to read when it redraws (no callback per call). */
  readonly progress?: LoadProgress
  /** Called with each finished measured call (reports, per-call records); warm-up calls are not passed. */
  readonly onCall?: (c: LoadCallSample) => void
}

export type Warmup = {readonly calls: number} | {readonly ms: number}

/** Live counters of a run, updated as calls finish. */
export class LoadProgress {
  /** Measured calls finished. */
  calls = 0
  /** Measured calls that got no answer or err_code != 0. */
  errors = 0
  /** Warm-up calls finished. */
  warmupCalls = 0
  /** Clock time the measured part began (undefined while warming up). */
  measuredSince: number | undefined
}

/** One finished call of a load run: times are ms since the measured part began (after any warm-up). */
export interface LoadCallSample {
  readonly msgId: string
  /** The connection it went on, numbered 1, 2... in the order they were opened; 0 when none could be opened. */
  readonly connection: number
  /** Wall-clock time of startMs, ms since the epoch. */
  readonly startEpochMs: number
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
  /** What was asked: stop after repeat calls and/or durationMs; rps when rate-limited. */
  readonly asked: {readonly repeat?: number; readonly durationMs?: number; readonly rps?: number; readonly warmup?: Warmup}
  /** Warm-up calls made before the measured part, left out of every figure below. */
  readonly warmupCalls: number
  /** --rps slots dropped because every connection was busy for longer than the backlog allows. */
  readonly rpsSkipped: number
  /** Wall-clock time the measured part began, ms since the epoch. */
  readonly startedAtEpochMs: number
  /** Set when the run was cut short by LoadOptions.signal (Ctrl-C): the reason it was aborted with. */
  readonly interrupted?: string
  /** Measured calls (warm-up excluded). */
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
  /** The same latencies at DISTRIBUTION_PERCENTILES (p10 ... p99.99), like ghz's latency distribution. */
  readonly distribution: readonly PercentilePoint[]
  /** Every answered call's latency, in bounded memory (1% buckets): what the percentiles and the histogram read. */
  readonly histogram: LogHistogram
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
  if (opts.repeat === undefined && opts.durationMs === undefined) return err(new UsageError('BAD_LOAD', 'a load test needs --repeat N or --duration'))
  if ((opts.repeat !== undefined && !(opts.repeat >= 1)) || !(opts.concurrency >= 1)) return err(new UsageError('BAD_LOAD', '--repeat and --concurrency must be at least 1'))
  if (opts.durationMs !== undefined && !(opts.durationMs > 0)) return err(new UsageError('BAD_LOAD', '--duration must be more than 0'))
  if (opts.rps !== undefined && !(opts.rps > 0)) return err(new UsageError('BAD_LOAD', '--rps must be more than 0'))
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
  const progress = opts.progress ?? new LoadProgress()

  let okCount = 0
  let connections = 0
  let everConnected = false
  let fatal: NetError | undefined
  let lastConnectError: NetError | undefined
  const latencies = new LogHistogram()
  const serverErrors = new Map<number, number>()
  const transport = new Map<string, {count: number; example: string}>()
  const live = new Map<Channel, number>()
  // What retired channels leave for the report, added up as each is retired: holding every
  // channel to the end kept one per call in memory under --connection-per-call.
  const examples: StrayResponse[] = []
  const byKind = {duplicate: 0, late: 0, unknown: 0}
  let malformed = 0
  let cutMidFrame = false

  const countTransport = (e: NetError) => {
    const t = transport.get(e.code)
    if (t === undefined) transport.set(e.code, {count: 1, example: e.message})
    else t.count++
  }
  const started = clock.now()
  const epochAtStart = clock.epochMs()
  const warmCalls = opts.warmup !== undefined && 'calls' in opts.warmup ? opts.warmup.calls : 0
  const workers = Math.min(opts.concurrency, opts.repeat === undefined ? Infinity : opts.repeat + warmCalls)
  // A backlog of up to a second of slots (at least one per call in flight): timer lateness and a GC
  // pause are caught up, as an open loop must; a longer stall drops slots instead of a flood after it.
  const pacer = opts.rps === undefined ? undefined : new RatePacer(opts.rps, started, Math.max(workers * pipeline, Math.ceil(opts.rps)))
  const warmUntil = opts.warmup !== undefined && 'ms' in opts.warmup ? started + opts.warmup.ms : undefined
  let taken = 0
  let measuredTaken = 0
  let measuredAt: number | undefined
  let endAt: number | undefined
  let lastEnd = started
  let cpuAtStart = process.cpuUsage()

  /** The next call's start time and phase, or undefined when the run is over. */
  const take = (): {at: number; warm: boolean} | undefined => {
    if (fatal !== undefined || opts.signal?.aborted) return undefined
    const now = clock.now()
    const at = pacer === undefined ? now : Math.max(now, pacer.peek(now))
    const warm = taken < warmCalls || (warmUntil !== undefined && at < warmUntil)
    if (!warm) {
      if (measuredAt === undefined) {
        measuredAt = warmUntil ?? at
        progress.measuredSince = measuredAt
        cpuAtStart = process.cpuUsage()
        if (opts.durationMs !== undefined) endAt = measuredAt + opts.durationMs
      }
      if (opts.repeat !== undefined && measuredTaken >= opts.repeat) return undefined
      if (endAt !== undefined && at >= endAt) return undefined
      measuredTaken++
    }
    taken++
    pacer?.advance()
    return {at, warm}
  }

  const finishCall = (c: RpcController, startAt: number, warm: boolean, connection: number) => {
    if (warm) {
      progress.warmupCalls++
      return
    }
    progress.calls++
    const endAt = c.times.finishedAt ?? clock.now()
    if (endAt > lastEnd) lastEnd = endAt
    const since = measuredAt ?? started
    opts.onCall?.({
      msgId: c.msgId,
      connection,
      startEpochMs: epochAtStart + (startAt - started),
      startMs: startAt - since,
      endMs: endAt - since,
      ...(c.error !== undefined ? {error: {code: c.error.code, message: c.error.message}} : {errCode: c.errCode}),
    })
    if (c.error !== undefined) {
      progress.errors++
      countTransport(c.error)
    } else {
      latencies.record(endAt - startAt)
      if (c.errCode === 0) okCount++
      else {
        progress.errors++
        serverErrors.set(c.errCode, (serverErrors.get(c.errCode) ?? 0) + 1)
      }
    }
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
    live.set(ch, connections)
    return ch
  }
  const retire = (ch: Channel) => {
    if (!live.delete(ch)) return
    ch.destroy()
    for (const kind of ['duplicate', 'late', 'unknown'] as const) byKind[kind] += ch.strayCounts[kind]
    if (examples.length < 5) examples.push(...ch.strays.slice(0, 5 - examples.length))
    malformed += ch.issueTotal
    cutMidFrame ||= ch.cutMidFrame
  }

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
   * go round the loop instead of nesting. With --rps a call waits for its
   * slot on a timer.
   */
  const lane = (get: (within: Deadline) => Channel | undefined | Promise<Channel | undefined>, perCall: boolean): Promise<void> =>
    new Promise<void>((laneDone) => {
      /** Start a call; true when it is over already. */
      const begin = (ch: Channel | undefined, startAt: number, deadline: Deadline, warm: boolean): boolean => {
        const c = new RpcController(p.msgId ?? msgIds.next(), deadline, startAt)
        if (ch === undefined) {
          if (fatal !== undefined) {
            laneDone()
            return false
          }
          c.error = lastConnectError
          c.times.finishedAt = clock.now()
          finishCall(c, startAt, warm, 0)
          return true
        }
        const connection = live.get(ch) ?? 0
        let starting = true
        let over = false
        ch.start(c, p.wireName, p.pbData, () => {
          if (perCall) retire(ch)
          finishCall(c, perCall ? startAt : (c.times.sentAt ?? startAt), warm, connection)
          if (starting) over = true
          else next()
        })
        starting = false
        return over
      }
      const go = (warm: boolean): boolean => {
        const startAt = clock.now()
        const deadline = deadlineIn(clock, timeoutMs)
        const got = get(deadline)
        if (got instanceof Promise) {
          got.then((ch) => begin(ch, startAt, deadline, warm) && next())
          return false
        }
        return begin(got, startAt, deadline, warm)
      }
      const next = (): void => {
        for (;;) {
          const slot = take()
          if (slot === undefined) return laneDone()
          const wait = slot.at - clock.now()
          if (wait > 0) {
            // A ref'd timer: between calls on fresh connections nothing else may hold the process open.
            setTimeout(() => (opts.signal?.aborted ? laneDone() : go(slot.warm) && next()), wait)
            return
          }
          if (!go(slot.warm)) return
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
  await Promise.all(Array.from({length: workers}, mode === 'per-call' ? perCallLane : connectionLoop))
  const cpu = process.cpuUsage(cpuAtStart)
  for (const ch of [...live.keys()]) retire(ch)
  timers.clear()
  const done = progress.calls
  if (fatal !== undefined && okCount === 0 && latencies.count === 0) return err(fatal)
  const since = measuredAt ?? started
  const durationMs = Math.max(0, lastEnd - since)

  const transportErrors = [...transport].map(([code, t]) => ({code, ...t})).sort((a, b) => b.count - a.count)
  return ok({
    mode,
    concurrency: opts.concurrency,
    pipeline,
    asked: {
      ...(opts.repeat === undefined ? {} : {repeat: opts.repeat}),
      ...(opts.durationMs === undefined ? {} : {durationMs: opts.durationMs}),
      ...(opts.rps === undefined ? {} : {rps: opts.rps}),
      ...(opts.warmup === undefined ? {} : {warmup: opts.warmup}),
    },
    warmupCalls: progress.warmupCalls,
    rpsSkipped: pacer?.skipped ?? 0,
    startedAtEpochMs: epochAtStart + (since - started),
    ...(opts.signal?.aborted ? {interrupted: String(opts.signal.reason ?? 'aborted')} : {}),
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
    latency: latencies.summary(),
    distribution: DISTRIBUTION_PERCENTILES.map((p) => ({p, ms: latencies.percentile(p)})).filter((x) => !Number.isNaN(x.ms)),
    histogram: latencies,
    causes: unansweredCallCauses(
      p,
      transportErrors.map((e) => e.code),
      cutMidFrame,
    ),
  })
}
