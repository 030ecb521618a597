// The load test report's data: each finished call of `call --repeat` (runLoad's
// onCall) folded into the same bounded aggregates as a capture's calls, plus
// the run's parameters and its error codes.

import {ok, type Result, type RpcDiagError, type UsageError} from '../errors.js'
import type {LoadCallSample, LoadReport, Warmup} from '../rpc/load-test.js'
import {CallStats, type CallStatsOptions} from './call-stats.js'
import {CallTableBuilder} from './call-table.js'
import type {CountedClass, Fact, ReportData} from './data.js'
import {clockText, countText, durationText} from './format.js'
import {ReportFile, type WrittenReport} from './report-file.js'

export interface LoadRunParams {
  readonly method: string
  /** host:port */
  readonly addr: string
  readonly repeat?: number
  readonly durationMs?: number
  readonly rps?: number
  readonly warmup?: Warmup
  readonly concurrency: number
  readonly pipeline: number
  readonly connectionPerCall: boolean
  readonly timeoutMs: number
  readonly connectTimeoutMs?: number
  /** Epoch ms when the run began. */
  readonly startedAtEpochMs: number
}

const LOAD_STATUS_LABELS = {unanswered: 'no answer (timeout, peer closed, refused...)'}

const MODE_TEXT: Record<LoadReport['mode'], string> = {
  reuse: 'reused connections, one call in flight on each',
  'per-call': 'a new connection per call (as rocket’s client does)',
  pipeline: 'reused connections, several calls in flight on each',
}

export class LoadReportBuilder {
  private readonly calls: CallStats
  private readonly table: CallTableBuilder

  constructor(
    private readonly params: LoadRunParams,
    limits: CallStatsOptions & {readonly rows?: number} = {},
  ) {
    this.calls = new CallStats(limits)
    this.table = new CallTableBuilder(limits.rows)
  }

  call(c: LoadCallSample): void {
    const ms = c.endMs - c.startMs
    const status = c.error !== undefined ? 'unanswered' : c.errCode === 0 ? 'ok' : 'error'
    this.calls.record({t: c.startMs, ms, method: this.params.method, server: this.params.addr, status, answered: c.error === undefined})
    this.calls.finished(c.endMs)
    if (c.error !== undefined) {
      this.table.add({t: c.startMs, msgId: c.msgId, method: this.params.method, status, ms: Math.round(ms * 1000) / 1000, reason: c.error.code, causes: [c.error.message]})
    }
  }

  build(report: LoadReport, extra: {readonly generatedAt?: Date} = {}): ReportData {
    const p = this.params
    const unanswered = report.transportErrors.reduce((n, e) => n + e.count, 0)
    const serverErrors = report.serverErrors.reduce((n, e) => n + e.count, 0)
    const facts: Fact[] = [
      {label: 'Load test', value: `${p.method} at ${p.addr}`},
      {label: 'Time span', value: `${clockText(report.startedAtEpochMs)} to ${clockText(report.startedAtEpochMs + report.durationMs)} (${durationText(report.durationMs)})`},
      {label: 'Timestamp source', value: 'this process’s monotonic clock (performance.now): latency from the send (or the connect, with a connection per call) to the whole reply'},
      {
        label: 'Calls',
        value: `${countText(report.calls)} calls, ${countText(report.ok)} ok, ${countText(serverErrors)} with err_code != 0, ${countText(unanswered)} without an answer; ${report.callsPerSec.toFixed(1)} calls/s`,
      },
      {label: 'Connections', value: `${countText(report.connections)} opened`},
    ]
    const params: Fact[] = [
      {label: 'Method', value: p.method},
      {label: 'Server', value: p.addr},
      {label: 'Mode', value: `${report.mode}: ${MODE_TEXT[report.mode]}`},
      ...(p.repeat !== undefined ? [{label: 'Calls asked (--repeat)', value: countText(p.repeat)}] : []),
      ...(p.durationMs !== undefined ? [{label: 'Time asked (--duration)', value: durationText(p.durationMs)}] : []),
      ...(p.rps !== undefined ? [{label: 'Rate limit (--rps)', value: `${p.rps} calls/s across all connections${report.rpsSkipped > 0 ? `; ${countText(report.rpsSkipped)} slots skipped` : ''}`}] : []),
      ...(p.warmup !== undefined
        ? [{label: 'Warm-up (--warmup)', value: `${countText(report.warmupCalls)} calls (${'calls' in p.warmup ? `the first ${p.warmup.calls}` : `the first ${durationText(p.warmup.ms)}`}), left out of every figure`}]
        : []),
      {label: 'Concurrency (--concurrency)', value: String(p.concurrency)},
      {label: 'Calls in flight per connection (--pipeline)', value: String(report.pipeline)},
      {label: 'Timeout (--timeout)', value: `${p.timeoutMs} ms`},
      ...(p.connectTimeoutMs !== undefined ? [{label: 'Connect timeout', value: `${p.connectTimeoutMs} ms`}] : []),
      {label: 'Duration', value: durationText(report.durationMs)},
      {label: 'Throughput', value: `${report.callsPerSec.toFixed(1)} calls/s`},
      ...report.causes.map((c) => ({label: 'Likely cause', value: c})),
    ]
    const anomalies: CountedClass[] = [
      {key: 'unanswered', label: 'calls without an answer', count: unanswered},
      {key: 'serverErrors', label: 'calls answered with err_code != 0', count: serverErrors},
      {key: 'strays.duplicate', label: 'duplicate replies (an msg_id answered again)', count: report.strays.duplicate},
      {key: 'strays.late', label: 'replies after the call had timed out', count: report.strays.late},
      {key: 'strays.unknown', label: 'replies to no call made', count: report.strays.unknown},
      {key: 'malformed', label: 'malformed input (garbage skipped, frames cut short)', count: report.malformed},
    ]
    return {
      version: 1,
      kind: 'load',
      title: `rpcdiag call --repeat: ${p.method} at ${p.addr}`,
      generatedAt: (extra.generatedAt ?? new Date()).toISOString(),
      facts,
      anomalies,
      statuses: this.calls.statuses(LOAD_STATUS_LABELS),
      time: {firstMs: this.calls.firstMs(), lastMs: this.calls.lastMs()},
      rates: this.calls.rateSeries(true),
      methods: this.calls.methodGroups(),
      servers: this.calls.serverGroups(),
      bands: this.calls.latencyBands(),
      points: this.calls.points(),
      calls: this.table.build(),
      load: {
        params,
        errorCodes: [
          ...report.serverErrors.map((e) => ({kind: 'server' as const, code: String(e.errCode), name: e.errName, count: e.count})),
          ...report.transportErrors.map((e) => ({kind: 'transport' as const, code: e.code, name: e.code, count: e.count, example: e.example})),
        ],
      },
    }
  }
}

/**
 * `call --repeat --report FILE`: the file opened before the run (a path that
 * cannot be written fails first), each call collected, the page written at the end.
 */
export class LoadReportFile {
  private readonly builder: LoadReportBuilder

  private constructor(
    private readonly file: ReportFile,
    params: LoadRunParams,
  ) {
    this.builder = new LoadReportBuilder(params)
  }

  static open(path: string, params: LoadRunParams): Result<LoadReportFile, UsageError> {
    const f = ReportFile.open(path)
    return f.ok ? ok(new LoadReportFile(f.value, params)) : f
  }

  /** runLoad's onCall. */
  readonly onCall = (c: LoadCallSample): void => this.builder.call(c)

  write(report: LoadReport): Promise<Result<WrittenReport, RpcDiagError>> {
    return this.file.write(this.builder.build(report))
  }

  /** The run did not happen: remove the empty file. */
  discard(): void {
    this.file.discard()
  }
}
