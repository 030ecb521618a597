// Words and numbers for the report's header: clock times with their UTC
// offset (the page may be opened in another time zone), durations, counts.

export function countText(n: number): string {
  return n.toLocaleString('en-US')
}

/** 2026-11-01 02:48:22.960 UTC+01:00, in the time zone of the machine that wrote the report. */
export function clockText(epochMs: number): string {
  const d = new Date(epochMs)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  const off = -d.getTimezoneOffset()
  const sign = off < 0 ? '-' : '+'
  const zone = `UTC${sign}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)} ${zone}`
}

/** 825 ms, 12.345 s, 1 h 02 min 05 s. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(3)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)} s`
  const s = Math.round(ms / 1000)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min ${String(sec).padStart(2, '0')} s` : `${m} min ${String(sec).padStart(2, '0')} s`
}
