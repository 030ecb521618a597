import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

import type {Clock, TimerHandle, TimerQueue} from '../net/index.js'

/** Released input buffers, in bytes, that make a collection worth asking for. */
const RECLAIM_AFTER_BYTES = 16 * 1024 * 1024
/** Wait this long after the last release (a burst of closes is one collection), and at least this long between two. */
const RECLAIM_DELAY_MS = 1000
const RECLAIM_INTERVAL_MS = 5000

let gcFunction: (() => void) | null | undefined

/**
 * V8's collector, exposed at run time. Node offers no API for it; this is the
 * documented flag set after start, then `gc` read from a fresh context. null
 * where it does not work.
 */
function collector(): (() => void) | null {
  if (gcFunction !== undefined) return gcFunction
  try {
    setFlagsFromString('--expose_gc')
    const gc = runInNewContext('gc') as unknown
    gcFunction = typeof gc === 'function' ? (gc as () => void) : null
  } catch {
    gcFunction = null
  }
  return gcFunction
}

/**
 * Gives the memory of closed connections back. A connection that held a large
 * unfinished frame leaves buffers that only a full collection frees; with no
 * allocation after an attack V8 may not run one for minutes, and the process
 * keeps its peak RSS. After RECLAIM_AFTER_BYTES of input buffers are released,
 * this asks for one collection, once the burst of closes is over and at most
 * every RECLAIM_INTERVAL_MS (a collection of serve's small heap takes a few ms).
 */
export class Reclaimer {
  private released = 0
  private lastAt = -Infinity
  private timer: TimerHandle | undefined
  /** Collections asked for, for the stop summary. */
  collections = 0

  constructor(
    private readonly timers: TimerQueue,
    private readonly clock: Clock,
  ) {}

  /** bytes of input buffers just became garbage (their connection closed). */
  release(bytes: number): void {
    this.released += bytes
    if (this.released < RECLAIM_AFTER_BYTES) return
    if (this.timer !== undefined) this.timers.cancel(this.timer)
    const wait = Math.max(RECLAIM_DELAY_MS, this.lastAt + RECLAIM_INTERVAL_MS - this.clock.now())
    this.timer = this.timers.add(wait, () => this.collect())
  }

  private collect(): void {
    this.timer = undefined
    this.released = 0
    this.lastAt = this.clock.now()
    const gc = collector()
    if (gc === null) return
    gc()
    this.collections++
  }
}
