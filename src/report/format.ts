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

/** 825.000 ms, 12.345 s, 38 min 2.8 s: the one duration formatter (src/render/duration.ts). */
export {durationText} from '../stats/duration.js'
