// One direction of a TCP connection: puts segments back in sequence order.
//
// Sequence numbers are unsigned 32-bit and wrap, so every comparison is made on
// the signed 32-bit difference ((a - b) | 0), valid while the two lie within
// 2 GiB of each other, which TCP's window guarantees.

/** Index of a half-stream: 0 carries bytes a -> b, 1 carries b -> a. */
export type Dir = 0 | 1

/** What a half-stream needs of its connection: the held-bytes count the memory bound applies to. */
export interface HeldBytesOwner {
  heldBytes: number
}

/** Where a half-stream delivers its bytes, in order. */
export interface HalfOutput<F extends HeldBytesOwner> {
  /** In-order bytes. The view is only valid during the call: copy what must outlive it. */
  data(half: HalfStream<F>, bytes: Uint8Array, t: number): void
  /** `missing` bytes will never arrive: the capture lost them. The next data starts after the hole. */
  gap(half: HalfStream<F>, missing: number, t: number): void
  /** Everything up to the FIN arrived. */
  fin(half: HalfStream<F>, t: number): void
}

interface Held {
  readonly seq: number
  /** A copy: the captured packet's memory may be reused once the segment is handled. */
  readonly data: Buffer
}

export class HalfStream<F extends HeldBytesOwner = HeldBytesOwner> {
  /** Set by the reassembler right after the flow is made. */
  flow!: F
  /** Sequence number of the next byte to deliver, once started. */
  next = 0
  started = false
  /** The SYN of this direction was seen, so the stream is complete from its first byte. */
  synSeen = false
  isn = 0
  /** Sequence number the FIN occupies, once a FIN was seen. */
  finSeq: number | undefined
  ended: 'fin' | 'rst' | undefined
  /** Highest sequence number the peer acknowledged: bytes before it reached the peer. */
  acked: number | undefined
  private held: Held[] = []
  heldBytes = 0

  // Counters for the summary.
  delivered = 0
  segments = 0
  retransmits = 0
  outOfOrder = 0
  gaps = 0
  gapBytes = 0

  constructor(
    readonly dir: Dir,
    private readonly out: HalfOutput<F>,
  ) {}

  /** Any out-of-order data waiting for a hole to fill. */
  get holding(): boolean {
    return this.held.length > 0
  }

  /** The SYN of this direction: the stream starts at isn + 1. A repeated SYN changes nothing. */
  syn(seq: number): void {
    if (this.started) return
    this.isn = seq
    this.next = (seq + 1) >>> 0
    this.started = true
    this.synSeen = true
  }

  /**
   * A segment's payload (and FIN). A stream that did not start with a SYN starts
   * at its first segment that carries data or FIN: the capture began mid-connection.
   * wireLength is the payload's length on the wire when the capture cut it short.
   */
  segment(seq: number, payload: Uint8Array, fin: boolean, t: number, wireLength = payload.length): void {
    if (this.ended !== undefined) return
    this.segments++
    if (!this.started) {
      this.next = seq
      this.started = true
    }
    if (payload.length > 0) this.accept(seq, payload, t)
    // Cut by the snaplen: the rest of the segment was on the wire but is not in the capture.
    if (wireLength > payload.length && this.next === ((seq + payload.length) >>> 0)) this.gapTo((seq + wireLength) >>> 0, t)
    if (fin && this.finSeq === undefined) {
      this.finSeq = (seq + wireLength) >>> 0
      if (this.acked !== undefined && ((this.acked - this.finSeq) | 0) > 0) this.skipHoles(t)
    }
    this.checkFin(t)
  }

  /**
   * The peer acknowledged everything before `ack`. If out-of-order data waits
   * behind a hole the peer already acknowledged, the hole reached the peer but
   * not the capture: report the gap now instead of waiting for a retransmit
   * that will never come.
   */
  ack(ack: number, t: number): void {
    if (!this.started) return
    if (this.acked === undefined || ((ack - this.acked) | 0) > 0) this.acked = ack
    if ((this.held.length > 0 || this.finSeq !== undefined) && ((ack - this.next) | 0) > 0) this.skipHoles(t)
  }

  /** End of capture or connection: report every hole, deliver what was held. */
  flush(t: number): void {
    if (this.ended !== undefined) return
    while (this.held.length > 0) this.skipGap(t)
    if (this.finSeq !== undefined && this.finSeq !== this.next && ((this.finSeq - this.next) | 0) > 0) {
      this.gapTo(this.finSeq, t)
    }
    this.checkFin(t)
  }

  /** RST: nothing more will come in this direction. */
  reset(t: number): void {
    if (this.ended !== undefined) return
    this.flush(t)
    if (this.ended === undefined) this.ended = 'rst'
  }

  /** Give up on the first hole: report it, then deliver the held data after it. */
  skipGap(t: number): void {
    if (this.held.length === 0) return
    this.gapTo(this.held[0].seq, t)
    this.drain(t)
  }

  private accept(seq: number, payload: Uint8Array, t: number): void {
    const rel = (seq - this.next) | 0
    const end = rel + payload.length
    if (end <= 0) {
      // Wholly before next: a retransmit (or a keepalive probe's one old byte).
      this.retransmits++
      return
    }
    if (rel > 0) {
      this.hold(seq, payload, t)
      return
    }
    // rel <= 0: starts at or before next; trim the overlap already delivered.
    if (rel < 0) this.retransmits++
    this.deliver(rel === 0 ? payload : payload.subarray(-rel), t)
    this.drain(t)
  }

  private deliver(bytes: Uint8Array, t: number): void {
    this.next = (this.next + bytes.length) >>> 0
    this.delivered += bytes.length
    this.out.data(this, bytes, t)
  }

  private hold(seq: number, payload: Uint8Array, t: number): void {
    this.outOfOrder++
    // Keep the list sorted by sequence; a duplicate start keeps the longer segment.
    let i = this.held.length
    while (i > 0 && ((this.held[i - 1].seq - seq) | 0) > 0) i--
    if (i > 0 && this.held[i - 1].seq === seq) {
      if (this.held[i - 1].data.length >= payload.length) return
      this.release(i - 1)
      i--
    }
    const data = Buffer.allocUnsafe(payload.length)
    data.set(payload)
    this.held.splice(i, 0, {seq, data})
    this.heldBytes += data.length
    this.flow.heldBytes += data.length
    if (this.acked !== undefined && ((this.acked - this.next) | 0) > 0) this.skipHoles(t)
  }

  private release(i: number): Held {
    const [h] = this.held.splice(i, 1)
    this.heldBytes -= h.data.length
    this.flow.heldBytes -= h.data.length
    return h
  }

  /** Deliver held segments that the stream has caught up with. */
  private drain(t: number): void {
    while (this.held.length > 0) {
      const rel = (this.held[0].seq - this.next) | 0
      if (rel > 0) break
      const h = this.release(0)
      const end = rel + h.data.length
      if (end <= 0) {
        this.retransmits++
        continue
      }
      this.deliver(rel === 0 ? h.data : h.data.subarray(-rel), t)
    }
  }

  /** Skip the holes the peer acknowledged (or that lie before an acknowledged FIN). */
  private skipHoles(t: number): void {
    const acked = this.acked!
    while (this.held.length > 0 && ((acked - this.held[0].seq) | 0) >= 0 && ((this.held[0].seq - this.next) | 0) > 0) {
      this.skipGap(t)
    }
    const fin = this.finSeq
    if (this.held.length === 0 && fin !== undefined && ((fin - this.next) | 0) > 0 && ((acked - fin) | 0) > 0) this.gapTo(fin, t)
  }

  private gapTo(seq: number, t: number): void {
    const missing = (seq - this.next) >>> 0
    if (missing === 0) return
    this.gaps++
    this.gapBytes += missing
    this.next = seq
    this.out.gap(this, missing, t)
  }

  private checkFin(t: number): void {
    if (this.ended === undefined && this.finSeq !== undefined && this.next === this.finSeq) {
      this.ended = 'fin'
      // The FIN occupies one sequence number.
      this.next = (this.next + 1) >>> 0
      this.out.fin(this, t)
    }
  }
}
