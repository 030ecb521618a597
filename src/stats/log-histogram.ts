/**
 * Latencies in bounded memory, for captures that run for hours: samples are
 * counted in logarithmic buckets (the DDSketch layout) instead of kept.
 * Bucket i holds (γ^(i-1), γ^i] with γ = (1 + α) / (1 - α); reporting a
 * bucket as 2γ^i / (γ + 1) is within α of every value in it. With α = 1%
 * that is ~115 buckets per factor of 10, so 1 µs .. 1 hour fits in ~1100
 * counters (9 KB) however many calls are recorded, where a sample list grows
 * 8 bytes a call (1.8 GB an hour at 64,000 calls/s).
 *
 * count, min, max and mean are exact; percentiles are the nearest-rank sample's
 * bucket, so within 1% of what sorting every sample would give.
 */
import type {LatencySummary} from './latency.js'

/** One bucket of recorded values: its bounds, the value it reports, and how many fell in it. */
export interface LogBucket {
  /** Exclusive lower bound (0 for the bucket of values at or below the smallest tracked). */
  readonly lo: number
  /** Inclusive upper bound. */
  readonly hi: number
  /** The value this bucket's samples are reported as: within the relative error of each of them, and within [min, max]. */
  readonly value: number
  readonly count: number
}

export interface LogHistogramOptions {
  /** Largest relative error of a reported value (percentiles, buckets). Default 0.01 (1%). */
  readonly relativeError?: number
  /** Values at or below this share one bucket reported as the exact minimum. Default 1e-6 (1 ns in ms). */
  readonly minTracked?: number
  /** Values above this share the top bucket, reported as the exact maximum. Default 1e9 (11 days in ms). */
  readonly maxTracked?: number
}

/** Extra buckets allocated on each growth, so a slowly widening range does not copy every time. */
const GROW_SLACK = 32

export class LogHistogram {
  readonly relativeError: number
  private readonly gamma: number
  private readonly invLogGamma: number
  private readonly minIndex: number
  private readonly maxIndex: number
  /** counts[i] is bucket offset + i. Float64: exact counts past 2^32. */
  private counts = new Float64Array(0)
  private offset = 0
  /** Values at or below minTracked (zero latencies: request and reply stamped in the same µs). */
  private low = 0
  private n = 0
  private sum = 0
  private lo = Infinity
  private hi = -Infinity

  constructor(opts: LogHistogramOptions = {}) {
    const a = opts.relativeError ?? 0.01
    if (!(a > 0 && a < 1)) throw new RangeError(`relativeError must be in (0, 1), got ${a}`)
    this.relativeError = a
    this.gamma = (1 + a) / (1 - a)
    this.invLogGamma = 1 / Math.log(this.gamma)
    this.minIndex = this.indexOf(opts.minTracked ?? 1e-6)
    this.maxIndex = this.indexOf(opts.maxTracked ?? 1e9)
  }

  get count(): number {
    return this.n
  }

  /** Exact; NaN when empty. */
  get min(): number {
    return this.n === 0 ? Number.NaN : this.lo
  }

  get max(): number {
    return this.n === 0 ? Number.NaN : this.hi
  }

  get mean(): number {
    return this.n === 0 ? Number.NaN : this.sum / this.n
  }

  /** Buckets held (a measure of memory: 8 bytes each). */
  get bucketCount(): number {
    return this.counts.length
  }

  record(v: number, times = 1): void {
    if (Number.isNaN(v) || times <= 0) return
    this.n += times
    this.sum += v * times
    if (v < this.lo) this.lo = v
    if (v > this.hi) this.hi = v
    const i = v > 0 ? this.indexOf(v) : this.minIndex
    if (i <= this.minIndex) {
      this.low += times
      return
    }
    const at = Math.min(i, this.maxIndex)
    if (at < this.offset || at >= this.offset + this.counts.length) this.grow(at)
    this.counts[at - this.offset] += times
  }

  /** Add another histogram's samples (same relative error). */
  merge(other: LogHistogram): void {
    if (other.gamma !== this.gamma) throw new RangeError('cannot merge histograms of different relative error')
    if (other.n === 0) return
    this.n += other.n
    this.sum += other.sum
    if (other.lo < this.lo) this.lo = other.lo
    if (other.hi > this.hi) this.hi = other.hi
    this.low += other.low
    const c = other.counts
    for (let j = 0; j < c.length; j++) {
      if (c[j] === 0) continue
      const at = other.offset + j
      if (at < this.offset || at >= this.offset + this.counts.length) this.grow(at)
      this.counts[at - this.offset] += c[j]
    }
  }

  /** Nearest-rank percentile (p in 0..100), like percentile() over sorted samples, within the relative error. NaN when empty. */
  percentile(p: number): number {
    if (this.n === 0) return Number.NaN
    const rank = Math.min(this.n, Math.max(1, Math.ceil((p / 100) * this.n)))
    let seen = this.low
    if (seen >= rank) return this.lo
    const c = this.counts
    for (let j = 0; j < c.length; j++) {
      seen += c[j]
      if (seen >= rank) return this.reported(this.offset + j)
    }
    return this.hi
  }

  /** The same shape summarize() gives for a sample list; undefined when empty. */
  summary(): LatencySummary | undefined {
    if (this.n === 0) return undefined
    return {
      count: this.n,
      min: this.lo,
      mean: this.sum / this.n,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.hi,
    }
  }

  /** The buckets that hold samples, lowest first. */
  buckets(): LogBucket[] {
    const out: LogBucket[] = []
    if (this.low > 0) out.push({lo: 0, hi: this.upper(this.minIndex), value: this.lo, count: this.low})
    const c = this.counts
    for (let j = 0; j < c.length; j++) {
      if (c[j] === 0) continue
      const i = this.offset + j
      out.push({lo: this.upper(i - 1), hi: i === this.maxIndex ? Infinity : this.upper(i), value: this.reported(i), count: c[j]})
    }
    return out
  }

  /** (value, count) pairs, lowest first: what the terminal histogram draws. */
  *weighted(): Iterable<readonly [value: number, count: number]> {
    for (const b of this.buckets()) yield [b.value, b.count]
  }

  private indexOf(v: number): number {
    return Math.ceil(Math.log(v) * this.invLogGamma)
  }

  private upper(i: number): number {
    return Math.pow(this.gamma, i)
  }

  /**
   * The value bucket i reports: 2γ^i / (γ + 1), within α of both its bounds, kept
   * within the exact [min, max]; the open-ended top bucket reports the maximum.
   */
  private reported(i: number): number {
    if (i >= this.maxIndex) return this.hi
    const v = (2 * Math.pow(this.gamma, i)) / (this.gamma + 1)
    return v < this.lo ? this.lo : v > this.hi ? this.hi : v
  }

  /** Widen the dense range of counters to cover bucket `at`, with some slack on the side it grew. */
  private grow(at: number): void {
    const len = this.counts.length
    const first = len === 0 ? at : Math.min(this.offset, at)
    const last = len === 0 ? at : Math.max(this.offset + len - 1, at)
    const from = Math.max(this.minIndex + 1, at === first ? first - GROW_SLACK : first)
    const to = Math.min(this.maxIndex, at === last ? last + GROW_SLACK : last)
    const next = new Float64Array(to - from + 1)
    if (len > 0) next.set(this.counts, this.offset - from)
    this.counts = next
    this.offset = from
  }
}
