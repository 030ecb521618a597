// The sniff report's data: a second consumer of the same SniffEvents the
// terminal printer gets (runSniff's output is teed), folded into bounded
// aggregates as they come, and turned into ReportData once the capture ends.

import type {SniffEvent, SniffSummary} from '../sniff/index.js'
import {UNANSWERED_REASON_TEXT, UNCERTAIN_LABEL} from '../sniff/index.js'
import {type CallRecord, CallStats, type CallStatsOptions} from './call-stats.js'
import {CallTableBuilder} from './call-table.js'
import type {CountedClass, Fact, ReportData} from './data.js'
import {clockText, countText, durationText} from './format.js'
import {LadderCollector, type LadderLimits} from './ladders.js'

export interface SniffReportOptions {
  /** Where the packets came from, in words: "file capture.pcap", "live on lo via libpcap (cap), filter ...". */
  readonly source: string
  /** How the packets were time-stamped, in words (the summary's timestampSource, kernel|userspace|file, said for this source). */
  readonly timestampSource: string
  /** The capture's first whole second (SniffSession.baseSec): event times are ms since then. */
  readonly baseSec: () => number | undefined
  readonly limits?: CallStatsOptions & {readonly ladders?: LadderLimits; readonly rows?: number}
}

type Transaction = Extract<SniffEvent, {type: 'transaction'}>

/** A transaction's status key: `late` when it had been reported unanswered; else what the event says. */
export function transactionStatus(e: Transaction): string {
  return e.late ? 'late' : e.status
}

/** Statuses whose calls are listed in the table of calls in doubt: all but these. */
const CLEAR = new Set(['ok', 'error'])

/**
 * Summary counters that are not anomalies; every other numeric field is one,
 * so a counter the summary gains later is listed by its name.
 */
const NOT_ANOMALIES = new Set(['requests', 'responses', 'paired', 'connections', 'packets', 'bytes', 'capturedPackets', 'capturedBytes', 'durationMs', 'chunks'])

const ANOMALY_LABELS: Record<string, string> = {
  unanswered: 'requests reported unanswered',
  errorResponses: 'error replies (err_code != 0)',
  duplicateResponses: 'duplicate replies (rocket re-sends old replies on a reused connection)',
  orphanResponses: 'replies without a request',
  malformedFrames: 'malformed frames',
  skippedBytes: 'bytes skipped between frames',
  duplicateMsgIds: 'msg_ids reused while in flight',
  peerSafetyFindings: 'frames that would crash or misroute rocket or tinyrpc',
  serverNoFin: 'connections the server left open after the client FIN (CLOSE_WAIT)',
  payloadErrors: 'payloads that did not decode',
  gaps: 'reassembly gaps (the capture lost bytes)',
  gapBytes: 'bytes lost in gaps',
  limitHits: '--buffer-limit reached',
  budgetHits: '--max-buffered reached (the connection holding most gave up its bytes)',
  retransmits: 'TCP retransmissions',
  outOfOrder: 'TCP segments out of order',
  kernelDrops: 'packets dropped by the kernel',
}

/** Warning codes the summary already counts under another name. */
const WARNING_COUNTED_AS: Record<string, string> = {
  SERVER_NO_FIN: 'serverNoFin',
  PEER_SAFETY: 'peerSafetyFindings',
  DUPLICATE_MSG_ID: 'duplicateMsgIds',
  BUFFER_LIMIT: 'limitHits',
  BUFFER_BUDGET: 'budgetHits',
  PAYLOAD: 'payloadErrors',
}

/** Warning codes listed even when none occurred. */
const WARNING_LABELS: Record<string, string> = {
  RESYNC: 'RESYNC: bytes skipped to find the next frame',
  EMPTY_MSG_ID_REPLY: 'EMPTY_MSG_ID_REPLY: a reply to an empty msg_id',
  METHOD_MISMATCH: 'METHOD_MISMATCH: a reply naming another method',
}

export class SniffReportBuilder {
  private readonly calls: CallStats
  private readonly table: CallTableBuilder
  private readonly ladders: LadderCollector
  private readonly warnings = new Map<string, number>()
  private first = Infinity
  private last = -Infinity

  constructor(private readonly opts: SniffReportOptions) {
    this.calls = new CallStats(opts.limits)
    this.table = new CallTableBuilder(opts.limits?.rows)
    this.ladders = new LadderCollector(opts.limits?.ladders, transactionStatus)
  }

  event(e: SniffEvent): void {
    if (e.t < this.first) this.first = e.t
    if (e.t > this.last) this.last = e.t
    this.ladders.event(e)
    switch (e.type) {
      case 'transaction':
        return this.transaction(e)
      case 'unanswered': {
        const req = e.request
        const key = callKey(e.conn.id, req.msgId, req.t)
        this.calls.record({t: req.t, ms: e.waitedMs, method: req.method, server: e.conn.server, status: 'unanswered', answered: false}, key)
        this.table.add(
          {
            t: req.t,
            msgId: req.msgId,
            method: req.method,
            status: 'unanswered',
            ms: round3(e.waitedMs),
            reason: UNANSWERED_REASON_TEXT[e.reason],
            causes: e.causes.map((c) => c.message),
            conn: e.conn.id,
            client: e.conn.client,
            server: e.conn.server,
          },
          key,
        )
        return
      }
      case 'uncertain': {
        // A call whose fate the capture cannot tell: in the table of calls in doubt, never among the unanswered.
        const f = e.request ?? e.response!
        const key = callKey(e.conn.id, f.msgId, f.t)
        const ms = e.latencyMs ?? e.waitedMs
        if (ms !== undefined) this.calls.record({t: f.t, ms, method: f.method, server: e.conn.server, status: 'uncertain', answered: e.response !== undefined}, key)
        this.table.add(
          {
            t: f.t,
            msgId: f.msgId,
            method: f.method,
            status: 'uncertain',
            ms: ms === undefined ? undefined : round3(ms),
            reason: `${UNCERTAIN_LABEL[e.reason]}: ${e.note}`,
            causes: [],
            conn: e.conn.id,
            client: e.conn.client,
            server: e.conn.server,
          },
          key,
        )
        return
      }
      case 'warning':
        this.warnings.set(e.code, (this.warnings.get(e.code) ?? 0) + 1)
        return
      default:
        return
    }
  }

  build(summary: SniffSummary, extra: {readonly notes?: readonly string[]; readonly generatedAt?: Date} = {}): ReportData {
    const baseSec = this.opts.baseSec()
    const originEpochMs = baseSec === undefined ? undefined : baseSec * 1000
    const firstMs = Number.isFinite(this.first) ? this.first : 0
    const lastMs = Number.isFinite(this.last) ? this.last : firstMs
    const fields = summary as unknown as Record<string, unknown>
    const timestampSource = this.opts.timestampSource
    const facts: Fact[] = [
      {label: 'Capture source', value: this.opts.source},
      {
        label: 'Time span',
        value:
          originEpochMs === undefined
            ? 'no packets'
            : `${clockText(originEpochMs + firstMs)} to ${clockText(originEpochMs + lastMs)} (${durationText(lastMs - firstMs)})`,
      },
      {label: 'Timestamp source', value: timestampSource},
      {
        label: 'Calls',
        value: `${countText(summary.requests)} requests, ${countText(summary.paired)} answered (${countText(summary.errorResponses)} with err_code != 0), ${countText(summary.unanswered)} unanswered`,
      },
      {label: 'Connections', value: countText(summary.connections)},
      {
        label: 'Packets',
        value: `${countText(summary.packets)} TCP segments, ${countText(summary.bytes)} payload bytes${summary.capturedPackets === undefined ? '' : `; ${countText(summary.capturedPackets)} packets read`}`,
      },
      ...(extra.notes ?? []).map((n) => ({label: 'Note', value: n})),
    ]
    return {
      version: 1,
      kind: 'sniff',
      title: `rpcdiag sniff: ${this.opts.source}`,
      generatedAt: (extra.generatedAt ?? new Date()).toISOString(),
      facts,
      anomalies: this.anomalies(fields),
      statuses: this.calls.statuses(),
      time: {...(originEpochMs !== undefined ? {originEpochMs} : {}), firstMs, lastMs},
      rates: this.calls.rateSeries(),
      methods: this.calls.methodGroups(),
      servers: this.calls.serverGroups(),
      bands: this.calls.latencyBands(),
      points: this.calls.points(),
      calls: this.table.build(),
      ladders: this.ladders.finish(),
    }
  }

  private transaction(e: Transaction): void {
    const req = e.request
    const status = transactionStatus(e)
    const now: CallRecord = {t: req.t, ms: e.latencyMs, method: req.method, server: e.conn.server, status, answered: true}
    if (e.late) {
      const key = callKey(e.conn.id, req.msgId, req.t)
      // It was recorded as unanswered at --timeout: move it.
      this.calls.amend({...now, status: 'unanswered', answered: false}, now, key)
      this.table.amend(key, {status, ms: round3(e.latencyMs), reason: `answered after --timeout, ${e.latencyMs.toFixed(3)} ms after the request`})
      return
    }
    this.calls.record(now)
    if (!CLEAR.has(status)) {
      this.table.add({t: req.t, msgId: req.msgId, method: req.method, status, ms: round3(e.latencyMs), reason: '', causes: [], conn: e.conn.id, client: e.conn.client, server: e.conn.server})
    }
  }

  private anomalies(fields: Record<string, unknown>): CountedClass[] {
    const out: CountedClass[] = []
    for (const [key, v] of Object.entries(fields)) {
      if (typeof v !== 'number' || NOT_ANOMALIES.has(key)) continue
      out.push({key, label: ANOMALY_LABELS[key] ?? key, count: v})
    }
    const codes = new Set([...Object.keys(WARNING_LABELS), ...this.warnings.keys()])
    for (const code of codes) {
      if (code in WARNING_COUNTED_AS) continue
      out.push({key: `warning:${code}`, label: WARNING_LABELS[code] ?? `${code} warnings`, count: this.warnings.get(code) ?? 0})
    }
    return out
  }
}

function callKey(conn: number, msgId: string, t: number): string {
  return `${conn} ${msgId} ${t}`
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000
}
