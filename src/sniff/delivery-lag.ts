/**
 * How far behind the wall clock packets reach rpcdiag. A live capture's clock
 * ticks while no packet comes, so requests time out with no traffic; but a
 * capture program hands packets over in blocks (libpcap's buffer timeout,
 * dumpcap's file flushes: up to about a second), and a tick at wall-clock
 * time would call a request unanswered while its reply sits in such a block.
 * Ticks therefore stop short of the wall clock by the largest delay seen
 * lately, and never by less than the source's own floor.
 */
export class DeliveryLag {
  private maxMs = 0
  private maxAt = -Infinity

  constructor(
    /** A delay the source may add at any time, seen or not (ms). */
    private readonly floorMs: number,
    /** How long a large delay is remembered (ms). */
    private readonly windowMs = 5000,
    /** What is added on top, for scheduling. */
    private readonly marginMs = 50,
  ) {}

  /** A batch arrived at wall time nowMs whose last packet was captured at packetMs. */
  observe(nowMs: number, packetMs: number): void {
    const lag = Math.max(0, nowMs - packetMs)
    if (lag >= this.maxMs || nowMs - this.maxAt > this.windowMs) {
      this.maxMs = lag
      this.maxAt = nowMs
    }
  }

  /** The capture time a tick at wall time nowMs may advance to. */
  tickTime(nowMs: number): number {
    const recent = nowMs - this.maxAt <= this.windowMs ? this.maxMs : 0
    return nowMs - Math.max(this.floorMs, recent) - this.marginMs
  }
}

/** What each kind of live source may hold back before handing packets over (ms). */
export function deliveryFloorMs(kind: string): number {
  // libpcap's buffer timeout in tcpdump and dumpcap (1 s); cap hands each packet to JS at once.
  return kind === 'dumpcap' || kind === 'tcpdump' ? 1000 : 0
}
