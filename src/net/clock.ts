/**
 * The one clock type: injectable so tests can drive time.
 * - now(): monotonic ms from an arbitrary origin, for intervals and deadlines;
 * - epochMs(): ms since the epoch, to set beside capture timestamps and log lines.
 */
export interface Clock {
  now(): number
  epochMs(): number
}

export const systemClock: Clock = {
  now: () => performance.now(),
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
