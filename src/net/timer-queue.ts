import {type Clock, systemClock} from './clock.js'
import {MinHeap} from './min-heap.js'

export interface TimerHandle {
  readonly deadline: number
  /** Set once the timer fired or was cancelled. */
  done: boolean
}

interface Entry extends TimerHandle {
  /** Dropped on cancel: an entry waiting for its deadline in the heap holds nothing. */
  fn: () => void
  readonly seq: number
}

const CANCELLED = () => {}
/** Cancelled entries tolerated before a rebuild, whatever the live count. */
const MIN_REBUILD = 64

export interface Scheduler {
  set(fn: () => void, ms: number): unknown
  clear(handle: unknown): void
}

/** Node's timers, unref'd so a pending deadline never holds the process open. */
export const nodeScheduler: Scheduler = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
}

/**
 * Deadlines for many calls on one underlying timer, like rocket's TimerEvent
 * queue on a timerfd: a binary min-heap of deadlines, cancelled entries dropped
 * lazily. A load test with thousands of calls in flight arms one Node timer.
 */
export class TimerQueue {
  private readonly heap = new MinHeap<Entry>((a, b) => a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq))
  private armedFor = Infinity
  private armed: unknown
  private seq = 0
  private live = 0

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly scheduler: Scheduler = nodeScheduler,
  ) {}

  /** Timers not yet fired nor cancelled. */
  get size(): number {
    return this.live
  }

  /** Run fn after ms milliseconds (by the clock). */
  add(ms: number, fn: () => void): TimerHandle {
    return this.at(this.clock.now() + ms, fn)
  }

  /** Run fn at clock time `deadline` (at once, on the next run, if it has passed). */
  at(deadline: number, fn: () => void): TimerHandle {
    const e: Entry = {deadline, fn, seq: this.seq++, done: false}
    this.heap.push(e)
    this.live++
    this.arm()
    return e
  }

  /** Entries in the heap, cancelled ones not yet dropped included (at most about twice the live ones). */
  get held(): number {
    return this.heap.size
  }

  /**
   * Cancelled entries leave the heap lazily, but let go of their function at
   * once: a server's idle timer closes over its connection, and a closed
   * connection must not live on until the deadline (30 s, a thousand
   * connections a second: promoted to V8's old space, a sawtooth of tens of
   * MiB). When they outnumber the live ones the heap is rebuilt without them.
   */
  cancel(h: TimerHandle): void {
    if (h.done) return
    h.done = true
    ;(h as Entry).fn = CANCELLED
    this.live--
    // Nothing left: drop the cancelled entries, but leave the Node timer armed
    // (unref'd; it finds nothing due and rests). Re-arming it for every call
    // of a one-at-a-time load test cost a setTimeout and a clearTimeout each.
    if (this.live === 0) this.heap.clear()
    else if (this.heap.size - this.live > Math.max(MIN_REBUILD, this.live)) this.heap.retain((e) => !e.done)
  }

  /** Fire every timer whose deadline has passed; the scheduler calls this, tests may too. */
  runDue(): void {
    this.armed = undefined
    this.armedFor = Infinity
    const now = this.clock.now()
    while (this.heap.size > 0 && this.heap.peek()!.deadline <= now) {
      const e = this.heap.pop()!
      if (e.done) continue
      e.done = true
      this.live--
      e.fn()
    }
    this.dropCancelledTop()
    this.arm()
  }

  /** Cancel everything (on close). */
  clear(): void {
    for (const e of this.heap.values()) e.done = true
    this.heap.clear()
    this.live = 0
    if (this.armed !== undefined) this.scheduler.clear(this.armed)
    this.armed = undefined
    this.armedFor = Infinity
  }

  private arm(): void {
    this.dropCancelledTop()
    const top = this.heap.peek()
    if (top === undefined) return
    const next = top.deadline
    if (next >= this.armedFor) return
    if (this.armed !== undefined) this.scheduler.clear(this.armed)
    this.armedFor = next
    this.armed = this.scheduler.set(() => this.runDue(), Math.max(0, next - this.clock.now()))
  }

  private dropCancelledTop(): void {
    while (this.heap.peek()?.done) this.heap.pop()
  }
}
