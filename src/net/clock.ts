/**
 * The one clock type: injectable so tests can drive time.
 * - now(): monotonic ms from an arbitrary origin, for intervals and deadlines;
 * - epochMs(): ms since the epoch, to set beside capture timestamps and log lines.
 */
export interface Clock {
  now(): number
  epochMs(): number
}

/**
 * now() reads the monotonic clock performance.now() reads (libuv's hrtime),
 * through process.hrtime: the first touch of the global `performance` loads
 * node's perf_hooks, ten modules (~2 ms of a one-shot call, which needs only
 * intervals). epochMs() keeps performance's sub-millisecond epoch time; the two
 * differ by a constant, as any two readings of one monotonic clock do.
 */
export const systemClock: Clock = {
  now: () => Number(process.hrtime.bigint()) / 1e6,
  epochMs: () => performance.timeOrigin + performance.now(),
}

/** A clock that moves only when told: for tests and replays. */
export class ManualClock implements Clock {
  constructor(
    private t = 0,
    private readonly origin = 0,
  ) {}

  now(): number {
    return this.t
  }

  epochMs(): number {
    return this.origin + this.t
  }

  set(t: number): void {
    this.t = t
  }

  advance(ms: number): void {
    this.t += ms
  }
}
