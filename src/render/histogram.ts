/**
 * A latency histogram drawn in the terminal, like hey's and ghz's, one bar per
 * bucket scaled to the fullest; the one renderer of `sniff --histogram` and
 * `call --repeat`. Buckets are log-scale by default: edges grow by the same
 * factor from min to max, so a tail 100 times the median takes the top
 * buckets and the bulk of the calls still spreads over the bottom ones (even
 * buckets put 96% of such a run in the first bar). `linear` keeps hey's even
 * buckets.
 *
 *   0.089 ms [12]  ■■■■■■
 *   0.142 ms [80]  ■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■
 */
export type HistogramScale = 'log' | 'linear'

export interface HistogramBucket {
  /** Upper edge of the bucket, ms. */
  readonly le: number
  readonly count: number
}

/**
 * Samples already counted by value, such as a LogHistogram from src/stats
 * (sniff keeps no sample list): (value, count) pairs and the exact extremes.
 */
export interface WeightedSamples {
  readonly count: number
  readonly min: number
  readonly max: number
  weighted(): Iterable<readonly [value: number, count: number]>
}

export function histogram(samples: readonly number[] | WeightedSamples, buckets = 10, scale: HistogramScale = 'log'): HistogramBucket[] {
  const s = isSampleList(samples) ? listSummary(samples) : samples
  return scale === 'log' ? logBucketed(s, buckets) : bucketed(s, buckets)
}

function isSampleList(s: readonly number[] | WeightedSamples): s is readonly number[] {
  return Array.isArray(s)
}

/** A plain list as counted values, each counted once. */
function listSummary(samples: readonly number[]): WeightedSamples {
  let min = Infinity
  let max = -Infinity
  for (const v of samples) {
    if (v < min) min = v
    if (v > max) max = v
  }
  return {count: samples.length, min, max, weighted: () => samples.map((v) => [v, 1] as const)}
}

/** Even buckets from min to max; a value's whole count goes to the bucket its value falls in. */
function bucketed(s: WeightedSamples, buckets: number): HistogramBucket[] {
  if (s.count === 0) return []
  const {min, max} = s
  const width = (max - min) / buckets
  // One bar when every value is the same, or the spread is too small to divide (denormals underflow to 0).
  if (!(width > 0)) return [{le: max, count: s.count}]
  const counts = new Array<number>(buckets).fill(0)
  for (const [v, n] of s.weighted()) counts[Math.max(0, Math.min(buckets - 1, Math.floor((v - min) / width)))] += n
  return counts.map((count, i) => ({le: min + width * (i + 1), count}))
}

/**
 * Buckets whose edges grow by one factor from the smallest positive value to max;
 * values at or below it (a zero latency: both stamped in the same µs) go to the first.
 */
function logBucketed(s: WeightedSamples, buckets: number): HistogramBucket[] {
  if (s.count === 0) return []
  let lo = s.min
  if (!(lo > 0)) {
    lo = Infinity
    for (const [v] of s.weighted()) if (v > 0 && v < lo) lo = v
  }
  const {max} = s
  // All values equal (or all zero): one bar, as with even buckets.
  if (!(lo < max) || !Number.isFinite(lo)) return [{le: max, count: s.count}]
  const step = Math.log(max / lo) / buckets
  if (!(step > 0)) return [{le: max, count: s.count}]
  // A ratio past the largest double (a denormal smallest value): even buckets lose nothing there.
  if (!Number.isFinite(step)) return bucketed(s, buckets)
  const counts = new Array<number>(buckets).fill(0)
  for (const [v, n] of s.weighted()) {
    const i = v <= lo ? 0 : Math.floor(Math.log(v / lo) / step)
    counts[Math.max(0, Math.min(buckets - 1, i))] += n
  }
  return counts.map((count, i) => ({le: i === buckets - 1 ? max : lo * Math.exp(step * (i + 1)), count}))
}

/** Three decimals, more below 0.1 ms so the small edges of a log scale stay apart (0.0123). */
export function bucketLabel(ms: number): string {
  if (!(ms > 0) || ms >= 0.1) return ms.toFixed(3)
  return ms.toFixed(Math.min(6, 2 - Math.floor(Math.log10(ms))))
}

export function renderHistogram(
  samples: readonly number[] | WeightedSamples,
  opts: {buckets?: number; width?: number; bar?: string; scale?: HistogramScale} = {},
): string[] {
  const rows = histogram(samples, opts.buckets ?? 10, opts.scale)
  const most = Math.max(0, ...rows.map((r) => r.count))
  const width = opts.width ?? 40
  const bar = opts.bar ?? '■'
  const labels = rows.map((r) => `${bucketLabel(r.le)} ms`)
  const counts = rows.map((r) => `[${r.count}]`)
  const lw = Math.max(0, ...labels.map((l) => l.length))
  const cw = Math.max(0, ...counts.map((c) => c.length))
  return rows.map((r, i) => {
    const n = most === 0 ? 0 : Math.round((r.count / most) * width)
    return `${labels[i].padStart(lw)} ${counts[i].padEnd(cw)} ${bar.repeat(n)}`
  })
}
