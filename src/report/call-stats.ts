// The per-call numbers both reports share: calls by status over time, latency
// per method and per server (bounded log histograms), latency quantile bands
// over time, and a sample of single calls to draw as points. Memory is bounded
// whatever the number of calls: buckets double in width, histograms are
// logarithmic, points are a fixed-size random sample.

import {LogHistogram, Reservoir} from '../stats/index.js'
import type {CallPoints, LatencyBands, LatencyGroup, LogBins, RateSeries, StatusInfo} from './data.js'
import {TimeBuckets} from './time-buckets.js'

/** One call as the aggregates see it. */
export interface CallRecord {
  /** When the request went out (ms from the report's origin). */
  readonly t: number
  /** Latency when answered; how long it was waited for otherwise. */
  readonly ms: number
  readonly method: string
  /** host:port of the server. */
  readonly server: string
  /** ok, error, unanswered, late, or any other status the source reports. */
  readonly status: string
  /** A reply was paired: `ms` is a latency and goes into the histograms. */
  readonly answered: boolean
}

export interface CallStatsOptions {
  /** Time buckets of the rate chart (default 512). */
  readonly rateBuckets?: number
  /** Time bands of the quantile lines (default 128). */
  readonly bands?: number
  /** Methods with their own quantile lines; the rest are in "(all methods)" only (default 12). */
  readonly bandGroups?: number
  /** Points kept of calls with status ok (default 8000). */
  readonly okPoints?: number
  /** Points kept of every other status together (default 4000). */
  readonly otherPoints?: number
  /** Distinct method and server names tracked; the rest share one row (default 1000). */
  readonly maxGroups?: number
}

export const ALL_METHODS = '(all methods)'
export const OTHER_GROUPS = '(others)'
/** Histogram bins per factor of ten on the page. */
const BINS_PER_DECADE = 10
/** Smallest latency a bin is drawn for: 1 µs. */
const MIN_BIN_MS = 1e-3
/** A sparse capture gets wider buckets: on average at least this many calls in each (as far as the time span allows). */
const CALLS_PER_RATE_BUCKET = 20
/** A band's p99 means something only over enough calls. */
const CALLS_PER_BAND = 20
const MIN_BUCKETS = 2
/** The quantile bands need less precision than the tables. */
const BAND_RELATIVE_ERROR = 0.02

interface Group {
  calls: number
  statuses: Map<string, number>
  latency: LogHistogram
}

interface RateCell {
  calls: number
  byStatus: Map<string, number>
  finished: number
}

interface Point {
  t: number
  ms: number
  group: number
  status: string
}

const STATUS_LABELS: Record<string, string> = {
  ok: 'answered, err_code 0',
  error: 'answered with err_code != 0',
  late: 'answered after --timeout',
  unanswered: 'unanswered',
  uncertain: 'uncertain: the capture lost, cut or saw differing bytes of it',
}

/** Known statuses first in this order, any other after them. */
const STATUS_ORDER = ['ok', 'error', 'late', 'unanswered', 'uncertain']

export function statusLabel(key: string, labels: Readonly<Record<string, string>> = {}): string {
  return labels[key] ?? STATUS_LABELS[key] ?? key
}

function bump(m: Map<string, number>, key: string, by: number): void {
  const n = (m.get(key) ?? 0) + by
  if (n === 0) m.delete(key)
  else m.set(key, n)
}

export class CallStats {
  private readonly methods = new Map<string, Group>()
  private readonly servers = new Map<string, Group>()
  private readonly statusCounts = new Map<string, number>()
  private readonly answeredStatuses = new Set<string>()
  private readonly rates: TimeBuckets<RateCell>
  private readonly bands: TimeBuckets<Map<string, LogHistogram>>
  private readonly bandNames = new Set<string>()
  private readonly okPoints: Reservoir<Point>
  private readonly otherPoints: Reservoir<Point>
  private readonly groupIndex = new Map<string, number>()
  private readonly opts: Required<CallStatsOptions>
  private first = Infinity
  private last = -Infinity

  constructor(opts: CallStatsOptions = {}) {
    this.opts = {rateBuckets: 512, bands: 128, bandGroups: 12, okPoints: 8000, otherPoints: 4000, maxGroups: 1000, ...opts}
    this.rates = new TimeBuckets<RateCell>(
      {
        create: () => ({calls: 0, byStatus: new Map(), finished: 0}),
        merge: (a, b) => {
          a.calls += b.calls
          a.finished += b.finished
          for (const [k, v] of b.byStatus) bump(a.byStatus, k, v)
        },
      },
      this.opts.rateBuckets,
    )
    this.bands = new TimeBuckets<Map<string, LogHistogram>>(
      {
        create: () => new Map(),
        merge: (a, b) => {
          for (const [k, h] of b) {
            let mine = a.get(k)
            if (mine === undefined) {
              // A copy: `from` may be a cell another series still holds (TimeBuckets.span merges into new cells).
              mine = new LogHistogram({relativeError: BAND_RELATIVE_ERROR})
              a.set(k, mine)
            }
            mine.merge(h)
          }
        },
      },
      this.opts.bands,
    )
    this.okPoints = new Reservoir(this.opts.okPoints, 0x0c0ffee)
    this.otherPoints = new Reservoir(this.opts.otherPoints, 0xbadca11)
  }

  /** Calls recorded. */
  get calls(): number {
    let n = 0
    for (const v of this.statusCounts.values()) n += v
    return n
  }

  /** One call; `key` lets amend() find it again (give one only for a call that may change: an unanswered one). */
  record(c: CallRecord, key?: string): void {
    this.seen(c.t)
    bump(this.statusCounts, c.status, 1)
    if (c.answered) this.answeredStatuses.add(c.status)
    // Runs for every call of the capture: no arrays made to loop over.
    this.count(this.group(this.methods, c.method), c)
    this.count(this.group(this.servers, c.server), c)
    const cell = this.rates.at(c.t)
    cell.calls++
    bump(cell.byStatus, c.status, 1)
    if (c.answered) this.band(c.t, c.method, c.ms)
    const points = c.status === 'ok' ? this.okPoints : this.otherPoints
    const slot = points.reserve()
    if (slot !== -1) points.put(slot, {t: c.t, ms: c.ms, group: this.groupOf(c.method), status: c.status}, key)
  }

  /**
   * A call recorded earlier changed status (an unanswered request got its reply after --timeout):
   * its counts move, and its latency is recorded if it now has one.
   */
  amend(was: CallRecord, now: CallRecord, key?: string): void {
    bump(this.statusCounts, was.status, -1)
    bump(this.statusCounts, now.status, 1)
    if (now.answered) this.answeredStatuses.add(now.status)
    for (const g of [this.group(this.methods, was.method), this.group(this.servers, was.server)]) {
      bump(g.statuses, was.status, -1)
      bump(g.statuses, now.status, 1)
      if (now.answered && !was.answered) g.latency.record(now.ms)
    }
    const cell = this.rates.at(was.t)
    bump(cell.byStatus, was.status, -1)
    bump(cell.byStatus, now.status, 1)
    if (now.answered && !was.answered) this.band(was.t, was.method, now.ms)
    const p = key === undefined ? undefined : (this.otherPoints.get(key) ?? this.okPoints.get(key))
    if (p !== undefined) {
      p.status = now.status
      p.ms = now.ms
    }
  }

  /** Load test: a call finished at time t (throughput counts by finish time). */
  finished(t: number): void {
    this.seen(t)
    this.rates.at(t).finished++
  }

  statuses(labels: Readonly<Record<string, string>> = {}): StatusInfo[] {
    const keys = [...this.statusCounts.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    return keys.map((key) => ({key, label: statusLabel(key, labels), count: this.statusCounts.get(key)!, answered: this.answeredStatuses.has(key)}))
  }

  firstMs(): number {
    return Number.isFinite(this.first) ? this.first : 0
  }

  lastMs(): number {
    return Number.isFinite(this.last) ? this.last : 0
  }

  rateSeries(withFinished = false): RateSeries {
    const {startMs, bucketMs, cells} = this.rates.span(clamp(this.calls / CALLS_PER_RATE_BUCKET, MIN_BUCKETS, this.opts.rateBuckets))
    const keys = new Set<string>()
    for (const c of cells) if (c !== undefined) for (const k of c.byStatus.keys()) keys.add(k)
    const byStatus: Record<string, number[]> = {}
    for (const k of [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) byStatus[k] = cells.map((c) => c?.byStatus.get(k) ?? 0)
    return {
      bucketMs,
      startMs,
      calls: cells.map((c) => c?.calls ?? 0),
      byStatus,
      ...(withFinished ? {finished: cells.map((c) => c?.finished ?? 0)} : {}),
    }
  }

  methodGroups(): LatencyGroup[] {
    return groupsOut(this.methods)
  }

  serverGroups(): LatencyGroup[] {
    return groupsOut(this.servers)
  }

  latencyBands(): LatencyBands {
    let answered = 0
    for (const g of this.methods.values()) answered += g.latency.count
    const {startMs, bucketMs, cells} = this.bands.span(clamp(answered / CALLS_PER_BAND, MIN_BUCKETS, this.opts.bands))
    const names = [ALL_METHODS, ...this.bandNames]
    return {
      bucketMs,
      startMs,
      groups: names.map((name) => {
        const hists = cells.map((c) => c?.get(name))
        const q = (p: number) => hists.map((h) => (h === undefined || h.count === 0 ? null : round3(h.percentile(p))))
        return {name, p50: q(50), p99: q(99)}
      }),
    }
  }

  points(): CallPoints {
    const ok = this.okPoints
    const other = this.otherPoints
    const all = [...ok.kept, ...other.kept].sort((a, b) => a.t - b.t)
    const statusKeys = this.statuses().map((s) => s.key)
    for (const p of all) if (!statusKeys.includes(p.status)) statusKeys.push(p.status)
    const total = ok.offered + other.offered
    return {
      sampling: samplingText(ok.kept.length, ok.offered, other.kept.length, other.offered),
      kept: all.length,
      total,
      t: all.map((p) => round3(p.t)),
      ms: all.map((p) => round3(p.ms)),
      group: all.map((p) => p.group),
      status: all.map((p) => statusKeys.indexOf(p.status)),
      groupNames: [...this.groupIndex.keys()],
      statusKeys,
    }
  }

  private seen(t: number): void {
    if (t < this.first) this.first = t
    if (t > this.last) this.last = t
  }

  private group(map: Map<string, Group>, name: string): Group {
    let g = map.get(name)
    if (g === undefined) {
      if (map.size >= this.opts.maxGroups && name !== OTHER_GROUPS) return this.group(map, OTHER_GROUPS)
      g = {calls: 0, statuses: new Map(), latency: new LogHistogram()}
      map.set(name, g)
    }
    return g
  }

  private groupOf(method: string): number {
    let i = this.groupIndex.get(method)
    if (i === undefined) {
      if (this.groupIndex.size >= this.opts.maxGroups) return this.groupOf(OTHER_GROUPS)
      i = this.groupIndex.size
      this.groupIndex.set(method, i)
    }
    return i
  }

  private count(g: Group, c: CallRecord): void {
    g.calls++
    bump(g.statuses, c.status, 1)
    if (c.answered) g.latency.record(c.ms)
  }

  private band(t: number, method: string, ms: number): void {
    const cell = this.bands.at(t)
    if (!this.bandNames.has(method) && this.bandNames.size < this.opts.bandGroups) this.bandNames.add(method)
    bandOf(cell, ALL_METHODS).record(ms)
    if (this.bandNames.has(method)) bandOf(cell, method).record(ms)
  }
}

function bandOf(cell: Map<string, LogHistogram>, name: string): LogHistogram {
  let h = cell.get(name)
  if (h === undefined) {
    h = new LogHistogram({relativeError: BAND_RELATIVE_ERROR})
    cell.set(name, h)
  }
  return h
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.floor(v)))
}

function rank(status: string): number {
  const i = STATUS_ORDER.indexOf(status)
  return i === -1 ? STATUS_ORDER.length : i
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000
}

function samplingText(okKept: number, okSeen: number, otherKept: number, otherSeen: number): string {
  if (okKept === okSeen && otherKept === otherSeen) return `every call is drawn (${(okSeen + otherSeen).toLocaleString('en-US')})`
  const part = (kept: number, seen: number, what: string) =>
    kept === seen ? `all ${seen.toLocaleString('en-US')} ${what}` : `${kept.toLocaleString('en-US')} of ${seen.toLocaleString('en-US')} ${what}, a uniform random sample (reservoir sampling, fixed seed)`
  return `${part(okKept, okSeen, 'calls answered with err_code 0')}; ${part(otherKept, otherSeen, 'calls with any other outcome')}. Rates, histograms, quantiles and the bands count every call.`
}

function groupsOut(map: Map<string, Group>): LatencyGroup[] {
  return [...map.entries()]
    .sort((a, b) => b[1].calls - a[1].calls || a[0].localeCompare(b[0]))
    .map(([name, g]) => {
      const s = g.latency.summary()
      return {
        name,
        calls: g.calls,
        statuses: Object.fromEntries(g.statuses),
        latency:
          s === undefined
            ? null
            : {min: round3(s.min), mean: round3(s.mean), p50: round3(s.p50), p90: round3(s.p90), p99: round3(s.p99), p999: round3(s.p999), max: round3(s.max)},
        histogram: logBins(g.latency),
      }
    })
}

/** The histogram's fine buckets (1% wide) gathered into BINS_PER_DECADE bins per factor of ten. */
export function logBins(h: LogHistogram): LogBins {
  const byBin = new Map<number, number>()
  for (const b of h.buckets()) {
    const v = Math.max(b.value, MIN_BIN_MS)
    // The bin whose upper edge is the first power of 10^(1/10) at or above v.
    const i = Math.ceil(Math.log10(v) * BINS_PER_DECADE - 1e-9)
    byBin.set(i, (byBin.get(i) ?? 0) + b.count)
  }
  if (byBin.size === 0) return {edges: [], counts: []}
  const lo = Math.min(...byBin.keys())
  const hi = Math.max(...byBin.keys())
  const edges: number[] = []
  const counts: number[] = []
  for (let i = lo; i <= hi; i++) {
    edges.push(edgeOf(i - 1))
    counts.push(byBin.get(i) ?? 0)
  }
  edges.push(edgeOf(hi))
  return {edges, counts}
}

function edgeOf(i: number): number {
  return Number(Math.pow(10, i / BINS_PER_DECADE).toPrecision(6))
}
