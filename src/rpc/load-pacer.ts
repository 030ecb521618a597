/**
 * Open-loop pacing for `call --rps N`, as wrk2 and ghz's --rps do: call k of
 * the run may start at `start + k / N` seconds, one schedule shared by every
 * connection (not N per connection), so the rate does not bend to the
 * server's speed. The schedule is bounded both ways:
 *
 * - never ahead: at most 1 + elapsed * N calls have been let through by any
 *   time, whatever the number of connections;
 * - a bounded backlog behind: after a stall (every connection waiting for a
 *   slow server) at most `burst` late slots start at once; the older ones are
 *   dropped, not fired in a flood, and counted as `skipped`.
 */
export class RatePacer {
  private readonly intervalMs: number
  private nextAt: number
  private skippedSlots = 0

  constructor(
    readonly rps: number,
    startAt: number,
    private readonly burst: number,
  ) {
    this.intervalMs = 1000 / rps
    this.nextAt = startAt
  }

  /** Slots dropped because the run fell more than `burst` slots behind the schedule. */
  get skipped(): number {
    return this.skippedSlots
  }

  /** When the next call may start (clock ms), at `now` or later. */
  peek(now: number): number {
    const oldest = now - this.burst * this.intervalMs
    if (this.nextAt < oldest) {
      const behind = Math.floor((oldest - this.nextAt) / this.intervalMs)
      this.skippedSlots += behind
      this.nextAt += behind * this.intervalMs
    }
    return this.nextAt
  }

  /** Take the slot peek() showed. */
  advance(): void {
    this.nextAt += this.intervalMs
  }
}
