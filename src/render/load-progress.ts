// The load test's progress bar on stderr, like ghz's: a cli-progress bar over
// the calls asked (--repeat) or the time asked (--duration; with both, the
// one nearer its end), with the calls done, the rate and the errors.
// It reads runLoad's LoadProgress counters on its own timer (10 redraws a
// second), so a call costs the run nothing more than two counter increments.

import cliProgress from 'cli-progress'

import {type Clock, systemClock} from '../net/index.js'
import type {LoadProgress, Warmup} from '../rpc/load-test.js'

export interface LoadBarOptions {
  readonly stream: NodeJS.WriteStream
  readonly progress: LoadProgress
  readonly repeat?: number
  readonly durationMs?: number
  readonly warmup?: Warmup
  readonly clock?: Clock
}

const REDRAW_MS = 100
/** The bar's scale: progress as a fraction of this. */
const SCALE = 1000

function count(n: number): string {
  return n.toLocaleString('en-US')
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`
}

/** The text beside the bar: "530/1,000 calls  2.3s  4,512 calls/s  0 errors". */
export function progressText(o: Omit<LoadBarOptions, 'stream' | 'clock'>, now: number): {fraction: number; text: string} {
  const p = o.progress
  if (p.measuredSince === undefined && o.warmup === undefined) return {fraction: 0, text: 'starting'}
  if (p.measuredSince === undefined) {
    const w = o.warmup
    const of = w !== undefined && 'calls' in w ? `/${count(w.calls)}` : ''
    return {fraction: 0, text: `warm-up: ${count(p.warmupCalls)}${of} calls (not counted)`}
  }
  const elapsed = Math.max(0, now - p.measuredSince)
  const byCalls = o.repeat === undefined ? 0 : p.calls / o.repeat
  const byTime = o.durationMs === undefined ? 0 : elapsed / o.durationMs
  const calls = o.repeat === undefined ? `${count(p.calls)} calls` : `${count(p.calls)}/${count(o.repeat)} calls`
  const time = o.durationMs === undefined ? seconds(elapsed) : `${seconds(Math.min(elapsed, o.durationMs))}/${seconds(o.durationMs)}`
  const rate = elapsed > 0 ? Math.round((p.calls * 1000) / elapsed) : 0
  return {fraction: Math.min(1, Math.max(byCalls, byTime)), text: `${calls}  ${time}  ${count(rate)} calls/s  ${count(p.errors)} errors`}
}

/** Start drawing; stop() draws the last state and ends the line. */
export function startLoadBar(o: LoadBarOptions): {stop(): void} {
  const clock = o.clock ?? systemClock
  let text = ''
  const bar = new cliProgress.SingleBar(
    {
      stream: o.stream,
      // Within the terminal's width, the bar giving way to the text (a wrapped line would be redrawn
      // as a new one each time); a pty of size 0 (no window) counts as 80 wide.
      format: (options, params) => {
        const width = Math.max(20, (o.stream.columns || 80) - 1)
        const barsize = Math.max(10, Math.min(30, width - text.length - 1))
        return `${cliProgress.Format.BarFormat(params.progress, {...options, barsize})} ${text}`.slice(0, width)
      },
      // Leave the terminal's line wrapping alone (cli-progress turns it off by default): a second
      // Ctrl-C ends the process without the bar's stop(), and would leave the terminal unwrapped.
      linewrap: true,
      fps: 10,
      // Drawn only on a terminal (the command decides); --progress on a pipe prints a line now and then.
      noTTYOutput: !o.stream.isTTY,
      notTTYSchedule: 2000,
    },
    cliProgress.Presets.shades_classic,
  )
  const tick = () => {
    const t = progressText(o, clock.now())
    text = t.text
    bar.update(Math.round(t.fraction * SCALE))
  }
  tick()
  bar.start(SCALE, 0)
  const timer = setInterval(tick, REDRAW_MS)
  timer.unref()
  return {
    stop() {
      clearInterval(timer)
      tick()
      bar.stop()
    },
  }
}
