/**
 * The one way rpcdiag prints a duration to a person: milliseconds with
 * microseconds while short, then seconds, then minutes and hours, so a long
 * wait reads as `38 min 2.8 s`, not `2282813.461 ms`.
 *
 *   0.282 ms   1.018 ms   999.999 ms   1.149 s   59.999 s   38 min 2.8 s   2 h 5 min 3 s   3 d 4 h 12 min
 *
 * Machine output (NDJSON, CSV) keeps plain milliseconds.
 */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms)
  if (ms < 0) return `-${durationText(-ms)}`
  if (ms < 1000) return `${ms.toFixed(3)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)} s`
  if (ms < 3_600_000) {
    // Tenths of a second: "38 min 2.8 s" (rounding up into the next minute carries).
    const tenths = Math.round(ms / 100)
    const min = Math.floor(tenths / 600)
    const s = (tenths % 600) / 10
    return min >= 60 ? durationText(min * 60_000) : `${min} min ${s.toFixed(1)} s`
  }
  const totalS = Math.round(ms / 1000)
  const d = Math.floor(totalS / 86_400)
  const h = Math.floor((totalS % 86_400) / 3600)
  const min = Math.floor((totalS % 3600) / 60)
  const s = totalS % 60
  if (d > 0) return `${d} d ${h} h ${min} min`
  return `${h} h ${min} min ${s} s`
}

/** A duration as a flag value a person would type back: "500ms", "2s", "1m", "1h" (the flags' own units). */
export function formatDuration(msValue: number): string {
  if (msValue >= 3_600_000 && msValue % 3_600_000 === 0) return `${msValue / 3_600_000}h`
  if (msValue >= 60_000 && msValue % 60_000 === 0) return `${msValue / 60_000}m`
  if (msValue >= 1000 && msValue % 1000 === 0) return `${msValue / 1000}s`
  return `${msValue}ms`
}
