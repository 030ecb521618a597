// What a report page is drawn from: one JSON document, built in Node by the
// aggregators (sniff-report.ts, load-report.ts), embedded in the HTML file and
// read by the page's script (page/app.ts). Types only: the page bundle imports
// this file too, so nothing here (nor what it imports types from) may touch Node.
//
// Everything a page lists is driven by this data, not by the page's code:
// statuses, anomaly classes and header facts are arrays of {key, label, ...};
// a status or counter the sniffer gains later shows up without a page change.
//
// Times: `t` values are ms from the report's time origin (time.originEpochMs
// when the x axis is clock time, the start of the run otherwise).

import type {LatencySummary} from '../stats/latency.js'

/** One line of the header: "Capture source: lo via libpcap". */
export interface Fact {
  readonly label: string
  readonly value: string
}

/** A counted class of trouble (unanswered, duplicate replies, gaps...), zero counts included. */
export interface CountedClass {
  /** Stable key: the summary field or warning code it comes from. */
  readonly key: string
  readonly label: string
  readonly count: number
}

/** A call outcome: ok, error, unanswered, late, or what the data brings. */
export interface StatusInfo extends CountedClass {
  /** A call with this status has a measured latency (a reply was paired). */
  readonly answered: boolean
}

export interface TimeAxis {
  /** Epoch ms of t = 0 when the x axis is clock time (a capture); absent for a run's elapsed time. */
  readonly originEpochMs?: number
  /** First and last event, ms from the origin. */
  readonly firstMs: number
  readonly lastMs: number
}

/** Calls per bucket by status (rates are count / bucket width). */
export interface RateSeries {
  readonly bucketMs: number
  /** Start of the first bucket, ms from the origin. */
  readonly startMs: number
  /** Calls started in each bucket (all statuses). */
  readonly calls: readonly number[]
  /** Per status key, calls started in each bucket; only statuses that occur. */
  readonly byStatus: Readonly<Record<string, readonly number[]>>
  /** Load test: calls finished in each bucket (throughput), by the time they finished. */
  readonly finished?: readonly number[]
}

/** The latency summary of src/stats without its count (a group's `calls` says it), ms. */
export type LatencyQuantiles = Omit<LatencySummary, 'count'>

/** Log-scale histogram bins: bin i is (edges[i], edges[i+1]] ms, counts[i] calls. */
export interface LogBins {
  readonly edges: readonly number[]
  readonly counts: readonly number[]
}

/** Calls of one method or one server. */
export interface LatencyGroup {
  readonly name: string
  readonly calls: number
  /** Calls by status key. */
  readonly statuses: Readonly<Record<string, number>>
  /** Of the answered calls; null when none was answered. */
  readonly latency: LatencyQuantiles | null
  readonly histogram: LogBins
}

/** Quantiles of latency per time band, per method: lines over the scatter. */
export interface LatencyBands {
  readonly bucketMs: number
  readonly startMs: number
  /** "(all methods)" first, then one per method; null where a band had no answered call. */
  readonly groups: ReadonlyArray<{readonly name: string; readonly p50: ReadonlyArray<number | null>; readonly p99: ReadonlyArray<number | null>}>
}

/** Single calls drawn as points, columnar. */
export interface CallPoints {
  /** How the points were chosen, in words, shown on the page. */
  readonly sampling: string
  readonly kept: number
  readonly total: number
  /** Request time, ms from the origin. */
  readonly t: readonly number[]
  /** Latency, or for an unanswered call how long it was waited for (ms). */
  readonly ms: readonly number[]
  /** Index into groupNames (the method). */
  readonly group: readonly number[]
  /** Index into statusKeys. */
  readonly status: readonly number[]
  readonly groupNames: readonly string[]
  readonly statusKeys: readonly string[]
}

/** A call that went unanswered, was answered late, or is otherwise in doubt. */
export interface CallRow {
  readonly t: number
  readonly msgId: string
  readonly method: string
  readonly status: string
  /** Waited for (unanswered) or latency (late reply), ms; absent when the capture shows neither (an uncertain reply whose request it lost). */
  readonly ms?: number
  /** Why it ended: the connection closed first, --timeout passed, the capture ended... */
  readonly reason: string
  /** Indexes into CallTable.causes. */
  readonly causes: readonly number[]
  /** Connection id (sniff) and its ends. */
  readonly conn?: number
  readonly client?: string
  readonly server?: string
}

export interface CallTable {
  readonly total: number
  /** Likely causes, each once; rows point into it. */
  readonly causes: readonly string[]
  readonly rows: readonly CallRow[]
  /** Set when rows were left out: what was kept. */
  readonly note?: string
}

/** One line of a ladder diagram. */
export interface LadderItem {
  readonly t: number
  /** Who sent it: an arrow client -> server or back; absent for a note about the connection (a warning). */
  readonly from?: 'client' | 'server'
  /** syn, fin, rst, request, reply, duplicate, orphan, malformed, gap, warning, unanswered. */
  readonly kind: string
  readonly label: string
  /** A status key for replies and unanswered requests (colour and marker follow it). */
  readonly status?: string
  readonly msgId?: string
}

export interface Ladder {
  readonly conn: number
  readonly client: string
  readonly server: string
  /** Why this connection was kept: "slowest call 3.877 ms", "1 unanswered", "RST", "sample". */
  readonly why: readonly string[]
  readonly openedMs: number
  readonly closedMs?: number
  readonly closeReason?: string
  readonly items: readonly LadderItem[]
  /** Events of this connection not kept (long-lived connections keep their first and last events and every anomaly). */
  readonly omitted: number
}

export interface Ladders {
  /** Kept connections, the slowest call's first. */
  readonly conns: readonly Ladder[]
  readonly totalConnections: number
  /** What was kept, in words. */
  readonly note: string
}

/** Load test extras. */
export interface LoadExtras {
  readonly params: readonly Fact[]
  readonly errorCodes: ReadonlyArray<{readonly kind: 'server' | 'transport'; readonly code: string; readonly name: string; readonly count: number; readonly example?: string}>
}

export interface ReportData {
  readonly version: 1
  readonly kind: 'sniff' | 'load'
  readonly title: string
  /** When the report was written, ISO 8601. */
  readonly generatedAt: string
  readonly facts: readonly Fact[]
  readonly anomalies: readonly CountedClass[]
  readonly statuses: readonly StatusInfo[]
  readonly time: TimeAxis
  readonly rates: RateSeries
  readonly methods: readonly LatencyGroup[]
  readonly servers: readonly LatencyGroup[]
  readonly bands: LatencyBands
  readonly points: CallPoints
  readonly calls: CallTable
  readonly ladders?: Ladders
  readonly load?: LoadExtras
}
