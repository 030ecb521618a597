// A long --read shows how far it got, on one stderr line redrawn in place
// (only when stderr is a terminal): percent of the file, packets, calls, time.

import type {CaptureStats} from '../../capture/capture-source.js'
import {type Clock, systemClock} from '../../net/index.js'

const CLEAR_LINE = '\r\u001B[K'

function mb(n: number): string {
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`
}

export function progressText(name: string, stats: CaptureStats, calls: number, elapsedMs: number): string {
  const read = stats.fileBytesRead ?? 0
  const where =
    stats.fileSize !== undefined && stats.fileSize > 0 ? `${Math.floor((read / stats.fileSize) * 100)}% of ${mb(stats.fileSize)}` : `${mb(read)}`
  return `reading ${name}: ${where}, ${stats.packets.toLocaleString('en-US')} packets, ${calls.toLocaleString('en-US')} calls, ${(elapsedMs / 1000).toFixed(1)} s`
}

/** Redraws at most every intervalMs; clear() before anything else is printed to the same terminal. */
export class ProgressLine {
  private last = -Infinity
  private shown = false

  constructor(
    private readonly write: (s: string) => void,
    private readonly intervalMs = 250,
    private readonly clock: Clock = systemClock,
  ) {}

  update(text: () => string): void {
    const t = this.clock.now()
    if (t - this.last < this.intervalMs) return
    this.last = t
    this.write(CLEAR_LINE + text())
    this.shown = true
  }

  clear(): void {
    if (!this.shown) return
    this.write(CLEAR_LINE)
    this.shown = false
  }
}
