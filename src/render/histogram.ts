/**
 * A latency histogram drawn in the terminal, like hey's: buckets spread evenly
 * between min and max, one bar per bucket scaled to the fullest.
 *
 *   0.210 ms [12]  ■■■■■■
 *   0.420 ms [80]  ■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■
 */
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

export function histogram(samples: readonly number[] | WeightedSamples, buckets = 10): HistogramBucket[] {
  return isSampleList(samples) ? bucketed(listSummary(samples), buckets) : bucketed(samples, buckets)
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

export function renderHistogram(samples: readonly number[] | WeightedSamples, opts: {buckets?: number; width?: number; bar?: string} = {}): string[] {
  const rows = histogram(samples, opts.buckets ?? 10)
  const most = Math.max(0, ...rows.map((r) => r.count))
  const width = opts.width ?? 40
  const bar = opts.bar ?? '■'
  const labels = rows.map((r) => `${r.le.toFixed(3)} ms`)
  const counts = rows.map((r) => `[${r.count}]`)
  const lw = Math.max(0, ...labels.map((l) => l.length))
  const cw = Math.max(0, ...counts.map((c) => c.length))
  return rows.map((r, i) => {
    const n = most === 0 ? 0 : Math.round((r.count / most) * width)
    return `${labels[i].padStart(lw)} ${counts[i].padEnd(cw)} ${bar.repeat(n)}`
  })
}
