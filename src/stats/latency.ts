/** Latency samples in ms, summarised like ghz, hey and tshark -z rpc,srt. */
export interface LatencySummary {
  readonly count: number
  readonly min: number
  readonly mean: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly p999: number
  readonly max: number
}

/** The percentiles of a load test's latency distribution, as ghz lists them. */
export const DISTRIBUTION_PERCENTILES = [10, 25, 50, 75, 90, 95, 99, 99.9, 99.99] as const

export interface PercentilePoint {
  /** 0..100 */
  readonly p: number
  readonly ms: number
}

/** Nearest-rank percentile of sorted samples (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

export function summarize(samples: readonly number[]): LatencySummary | undefined {
  if (samples.length === 0) return undefined
  const s = Float64Array.from(samples).sort()
  const sorted = Array.from(s)
  let sum = 0
  for (const v of sorted) sum += v
  return {
    count: sorted.length,
    min: sorted[0],
    mean: sum / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted[sorted.length - 1],
  }
}

/** Round ms for JSON output: three decimals (microseconds). */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
