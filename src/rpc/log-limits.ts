// Bounds on what serve logs, so a hostile client cannot make the log the
// attack: wire strings and payloads are cut to their first bytes (with their
// length), repeated malformed input on one connection is summarised with a
// count, and a burst of accept failures becomes one line per interval.
import {toHex} from '../../decoders/string/index.js'
import type {Clock, TimerHandle, TimerQueue} from '../net/index.js'

/** Characters of a wire string (msg_id, method_name, err_info) kept in a log event. */
export const LOG_TEXT_MAX = 128
/** pb_data up to this size is decoded into the log; a larger one is shown as its length and first bytes. */
export const LOG_PAYLOAD_MAX = 4096
/** First bytes of a payload too large to log, in hex. */
export const LOG_HEAD_BYTES = 32
/** Malformed inputs of one connection logged one by one; after that, a line at 10, 100, 1000, ... with the count. */
export const MALFORMED_LOGGED = 5

/** A wire string cut for the log: the text (with … when cut) and, when cut, its length in bytes. */
export function wireText(bytes: Buffer, max = LOG_TEXT_MAX): {readonly text: string; readonly bytes?: number} {
  if (bytes.length <= max) return {text: bytes.toString('utf8')}
  // Decode only what can be shown: a 64 MiB msg_id never becomes a string.
  const text = bytes.toString('utf8', 0, max * 4).slice(0, max)
  return {text: text + '…', bytes: bytes.length}
}

/** The first bytes of a payload too large to log. */
export function payloadHead(pb: Uint8Array): string {
  return toHex(pb.subarray(0, LOG_HEAD_BYTES))
}

/**
 * Per-connection thinning of repeated events: the first `individually` pass,
 * then one in each decade (the 10th, 100th, 1000th, ...) passes carrying the
 * count of those held back since the last, and finish() reports the rest. The
 * sum of the counts is the number of events, whatever their timing.
 */
export class DecadeLog<T> {
  private seen = 0
  private held = 0
  private heldSkipped = 0
  private nextDecade = 10

  constructor(private readonly individually = MALFORMED_LOGGED) {}

  /** What to log for this event: itself, itself standing for `count` events, or nothing. */
  add(e: T, skipped: number): {readonly event: T; readonly count?: number; readonly skipped: number} | undefined {
    this.seen++
    if (this.seen <= this.individually) return {event: e, skipped}
    this.held++
    this.heldSkipped += skipped
    if (this.seen < this.nextDecade) return undefined
    this.nextDecade *= 10
    return this.release(e)
  }

  /** The events held back since the last line, as one (the last of them stands for all). */
  finish(last: T | undefined): {readonly event: T; readonly count: number; readonly skipped: number} | undefined {
    if (this.held === 0 || last === undefined) return undefined
    return this.release(last)
  }

  private release(e: T): {event: T; count: number; skipped: number} {
    const out = {event: e, count: this.held, skipped: this.heldSkipped}
    this.held = 0
    this.heldSkipped = 0
    return out
  }
}

/**
 * A burst of the same failure (accept() failing with EMFILE) as at most one
 * line per interval: the first goes out at once, later ones are counted and go
 * out together when the interval has passed. flush() sends what is counted.
 */
export class BurstLog<T> {
  private count = 0
  private last: T | undefined
  private lastAt = -Infinity
  private timer: TimerHandle | undefined

  constructor(
    private readonly intervalMs: number,
    private readonly timers: TimerQueue,
    private readonly clock: Clock,
    private readonly emit: (last: T, count: number) => void,
  ) {}

  add(e: T): void {
    this.count++
    this.last = e
    if (this.timer !== undefined) return
    const wait = this.lastAt + this.intervalMs - this.clock.now()
    if (wait <= 0) this.flush()
    else this.timer = this.timers.add(wait, () => ((this.timer = undefined), this.flush()))
  }

  flush(): void {
    if (this.timer !== undefined) this.timers.cancel(this.timer)
    this.timer = undefined
    if (this.count === 0 || this.last === undefined) return
    const [last, count] = [this.last, this.count]
    this.count = 0
    this.lastAt = this.clock.now()
    this.emit(last, count)
  }
}
