/**
 * The one timestamp format of rpcdiag's machine-readable output (sniff --json,
 * serve --json, and CSV/field output): seconds since the Unix epoch with
 * microseconds, a number such as 1795488502.960779. It is UTC by nature,
 * sorts and compares as a number (jq: `select(.ts > 1795488502)`, `.ts |
 * todate`), and is what tcpdump -tt and tshark's frame.time_epoch print for
 * the same packet. Human output keeps the local clock (02:48:22.960779).
 */

/** Whole seconds and microseconds as one JSON number. */
export function epochSeconds(sec: number, usec: number): number {
  return sec + usec / 1e6
}

/** A wall-clock time in ms (Date.now()) as epoch seconds. */
export function epochSecondsFromMs(ms: number): number {
  return Math.round(ms * 1000) / 1e6
}

/** The same as text with all six decimals, for CSV and -T fields columns: "1795488502.960779". */
export function epochSecondsText(sec: number, usec: number): string {
  return `${sec}.${String(usec).padStart(6, '0')}`
}

/** A wall-clock time in ms as epochSecondsText: "1795488502.960779". */
export function epochSecondsTextFromMs(ms: number): string {
  const us = Math.round(ms * 1000)
  return epochSecondsText(Math.floor(us / 1e6), us % 1e6)
}
