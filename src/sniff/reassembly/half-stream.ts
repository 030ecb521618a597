// One direction of a TCP connection: puts segments back in sequence order.
//
// Sequence numbers are unsigned 32-bit and wrap, so every comparison is made on
// the signed 32-bit difference ((a - b) | 0), valid while the two lie within
// 2 GiB of each other, which TCP's window guarantees.
//
// Every captured payload byte handed to segment() ends up delivered, counted
// as a duplicate (a retransmission or an overlap), or counted as ignored (it
// came after this direction ended).

import {EXCERPT, type Mismatch, SentWindow} from './sent-window.js'

/** Index of a half-stream: 0 carries bytes a -> b, 1 carries b -> a. */
export type Dir = 0 | 1

/** Why bytes are missing: the capture lost the segment, or kept only its first bytes (snaplen, a truncated packet). */
export type GapCause = 'lost' | 'truncated'

/** What a half-stream needs of its connection: the held-bytes count the memory bound applies to. */
export interface HeldBytesOwner {
  heldBytes: number
}

/** Where a half-stream delivers its bytes, in order. */
export interface HalfOutput<F extends HeldBytesOwner> {
  /** Out-of-order bytes held across every half-stream that reports here (kept by the half-streams). */
  heldBytes: number
  /** In-order bytes. The view is only valid during the call: copy what must outlive it. */
  data(half: HalfStream<F>, bytes: Uint8Array, t: number): void
  /** `missing` bytes will never arrive: the capture lost them. The next data starts after the hole. */
  gap(half: HalfStream<F>, missing: number, t: number, cause: GapCause): void
  /** Everything up to the FIN arrived. */
  fin(half: HalfStream<F>, t: number): void
  /** Two copies of the same sequence numbers carried different bytes (a retransmission with different data). */
  conflict(half: HalfStream<F>, m: Mismatch, t: number): void
}

/** A direction first seen this far past where its peer acknowledged it stood is not taken to have lost the bytes between. */
const MIDSTREAM_HOLE_MAX = 1 << 20

interface Held {
  readonly seq: number
  /** A copy: the captured packet's memory may be reused once the segment is handled. */
  readonly data: Buffer
  /** The capture cut the segment short: on the wire it ran to this sequence number. */
  readonly wireEnd: number | undefined
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
  /** What the peer acknowledged before this direction was seen to start: where its stream stood then. */
  private ackedBeforeStart: number | undefined
  private held: Held[] = []
  heldBytes = 0
  /** What was delivered and not yet acknowledged: a retransmission is compared with it. */
  private readonly sent: SentWindow

  // Counters for the summary.
  delivered = 0
  segments = 0
  retransmits = 0
  outOfOrder = 0
  gaps = 0
  gapBytes = 0
  /** Captured payload bytes that repeated sequence numbers already had (retransmissions, overlaps). */
  duplicateBytes = 0
  /** Captured payload bytes that came after this direction ended. */
  ignoredBytes = 0
  /** Copies of the same bytes that disagreed. */
  conflicts = 0

  constructor(
    readonly dir: Dir,
    private readonly out: HalfOutput<F>,
    sentWindow?: number,
  ) {
    this.sent = new SentWindow(sentWindow)
  }

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
   * A new SYN for a connection that was never answered (a new attempt from the
   * same ports, or the retry after a challenge ACK): forget the first one.
   * Only valid while nothing was delivered or held.
   */
  restart(): void {
    this.started = false
    this.synSeen = false
    this.ackedBeforeStart = undefined
    this.finSeq = undefined
    this.acked = undefined
    this.sent.clear()
  }

  /**
   * A segment's payload (and FIN). A stream that did not start with a SYN starts
   * at its first segment that carries data or FIN: the capture began mid-connection.
   * wireLength is the payload's length on the wire when the capture cut it short.
   */
  segment(seq: number, payload: Uint8Array, fin: boolean, t: number, wireLength = payload.length): void {
    if (this.ended !== undefined) {
      this.ignoredBytes += payload.length
      return
    }
    this.segments++
    if (!this.started) this.startAt(seq)
    // Cut by the snaplen: the rest of the segment was on the wire but is not in the capture.
    const wireEnd = wireLength > payload.length ? (seq + wireLength) >>> 0 : undefined
    if (payload.length > 0) this.accept(seq, payload, t, wireEnd)
    else if (wireEnd !== undefined) this.cut(seq, wireEnd, t)
    if (fin && this.finSeq === undefined) {
      this.finSeq = (seq + wireLength) >>> 0
      if (this.acked !== undefined && ((this.acked - this.finSeq) | 0) >= 0) this.skipHoles(t)
    }
    this.checkFin(t)
  }

  /**
   * The peer acknowledged everything before `ack`. If out-of-order data waits
   * behind a hole the peer already acknowledged, the hole reached the peer but
   * not the capture: report the gap now instead of waiting for a retransmit
   * that will never come. With nothing held, an acknowledgement past the last
   * byte seen says the same of the bytes in between (Wireshark's "ACKed segment
   * that wasn't captured"); one sequence number may be a FIN the capture missed,
   * and is left alone.
   */
  ack(ack: number, t: number): void {
    if (!this.started) {
      this.ackedBeforeStart = ack
      return
    }
    if (this.acked === undefined || ((ack - this.acked) | 0) > 0) this.acked = ack
    this.sent.acked(ack)
    const ahead = (ack - this.next) | 0
    if (ahead <= 0 || this.ended !== undefined) return
    if (this.held.length > 0 || this.finSeq !== undefined) this.skipHoles(t)
    else if (ahead > 1) this.gapTo(ack, t, 'lost')
  }

  /**
   * The first segment of a direction whose SYN was not seen. The stream starts
   * there, unless the peer had already acknowledged an earlier position: then
   * it starts at that position, and the bytes up to this segment are a hole
   * the capture missed (reported like any other once known for lost).
   */
  private startAt(seq: number): void {
    const from = this.ackedBeforeStart
    const ahead = from === undefined ? 0 : (seq - from) | 0
    this.next = ahead > 0 && ahead <= MIDSTREAM_HOLE_MAX ? from! : seq
    this.started = true
  }

  /** End of capture or connection: report every hole, deliver what was held. */
  flush(t: number): void {
    if (this.ended !== undefined) return
    while (this.held.length > 0) this.skipGap(t)
    if (this.finSeq !== undefined && this.finSeq !== this.next && ((this.finSeq - this.next) | 0) > 0) {
      this.gapTo(this.finSeq, t, 'lost')
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
    this.gapTo(this.held[0].seq, t, 'lost')
    this.drain(t)
  }

  private accept(seq: number, payload: Uint8Array, t: number, wireEnd: number | undefined): void {
    const rel = (seq - this.next) | 0
    const end = rel + payload.length
    if (end <= 0) {
      // Wholly before next: a retransmit (or a keepalive probe's one old byte).
      this.retransmits++
      this.duplicateBytes += payload.length
      this.compare(seq, payload, t)
      if (wireEnd !== undefined) this.cut((seq + payload.length) >>> 0, wireEnd, t)
      return
    }
    if (rel > 0) {
      this.hold(seq, payload, t, wireEnd)
      return
    }
    // rel <= 0: starts at or before next; trim the overlap already delivered.
    if (rel < 0) {
      this.retransmits++
      this.duplicateBytes += -rel
      this.compare(seq, payload.subarray(0, -rel), t)
    }
    this.deliver(rel === 0 ? payload : payload.subarray(-rel), t)
    this.drain(t)
    if (wireEnd !== undefined) this.cut((seq + payload.length) >>> 0, wireEnd, t)
  }

  /**
   * A segment the capture cut short ends at `capturedEnd` but ran to `wireEnd`:
   * if the stream stands right after its captured bytes, the rest is a gap (up
   * to held data that filled part of it), and what was held after it follows.
   */
  private cut(capturedEnd: number, wireEnd: number, t: number): void {
    if (this.next !== capturedEnd) return
    let to = wireEnd
    if (this.held.length > 0 && ((this.held[0].seq - wireEnd) | 0) < 0) to = this.held[0].seq
    this.gapTo(to, t, 'truncated')
    this.drain(t)
  }

  private deliver(bytes: Uint8Array, t: number): void {
    this.sent.append(this.next, bytes)
    this.next = (this.next + bytes.length) >>> 0
    this.delivered += bytes.length
    this.out.data(this, bytes, t)
  }

  private hold(seq: number, payload: Uint8Array, t: number, wireEnd: number | undefined): void {
    this.outOfOrder++
    // Keep the list sorted by sequence; a duplicate start keeps the longer segment.
    let i = this.held.length
    while (i > 0 && ((this.held[i - 1].seq - seq) | 0) > 0) i--
    if (i > 0 && this.held[i - 1].seq === seq) {
      const same = this.held[i - 1]
      this.compareHeld(same, seq, payload, t)
      if (same.data.length >= payload.length) {
        this.duplicateBytes += payload.length
        return
      }
      this.duplicateBytes += same.data.length
      this.release(i - 1)
      i--
    }
    const data = Buffer.allocUnsafe(payload.length)
    data.set(payload)
    this.held.splice(i, 0, {seq, data, wireEnd})
    this.heldBytes += data.length
    this.flow.heldBytes += data.length
    this.out.heldBytes += data.length
    if (this.acked !== undefined && ((this.acked - this.next) | 0) > 0) this.skipHoles(t)
  }

  private release(i: number): Held {
    const [h] = this.held.splice(i, 1)
    this.heldBytes -= h.data.length
    this.flow.heldBytes -= h.data.length
    this.out.heldBytes -= h.data.length
    return h
  }

  /** Deliver held segments that the stream has caught up with. */
  private drain(t: number): void {
    while (this.held.length > 0) {
      const rel = (this.held[0].seq - this.next) | 0
      if (rel > 0) break
      const h = this.release(0)
      const end = rel + h.data.length
      // The held copy was captured before the one just delivered: it is the first.
      if (rel < 0) this.compare(h.seq, h.data.subarray(0, Math.min(-rel, h.data.length)), t, true)
      if (end <= 0) {
        this.retransmits++
        this.duplicateBytes += h.data.length
        continue
      }
      this.duplicateBytes += -rel
      this.deliver(rel === 0 ? h.data : h.data.subarray(-rel), t)
      if (h.wireEnd !== undefined && this.next === ((h.seq + h.data.length) >>> 0)) {
        let to = h.wireEnd
        if (this.held.length > 0 && ((this.held[0].seq - to) | 0) < 0) to = this.held[0].seq
        this.gapTo(to, t, 'truncated')
      }
    }
  }

  /** Another copy of bytes already delivered: do they agree? `earlier` when this copy was captured first. */
  private compare(seq: number, bytes: Uint8Array, t: number, earlier = false): void {
    const m = this.sent.compare(seq, bytes)
    if (m !== undefined) this.conflicted(earlier ? {...m, first: m.later, later: m.first} : m, t)
  }

  /** Two held copies starting at the same sequence number. */
  private compareHeld(h: Held, seq: number, bytes: Uint8Array, t: number): void {
    const n = Math.min(h.data.length, bytes.length)
    for (let i = 0; i < n; i++) {
      if (h.data[i] !== bytes[i]) {
        this.conflicted({seq: (seq + i) >>> 0, length: n - i, first: Buffer.from(h.data.subarray(i, i + EXCERPT)), later: Buffer.from(bytes.subarray(i, i + EXCERPT))}, t)
        return
      }
    }
  }

  private conflicted(m: Mismatch, t: number): void {
    this.conflicts++
    this.out.conflict(this, m, t)
  }

  /** Skip the holes the peer acknowledged (or that lie before an acknowledged FIN). */
  private skipHoles(t: number): void {
    const acked = this.acked!
    while (this.held.length > 0 && ((acked - this.held[0].seq) | 0) >= 0 && ((this.held[0].seq - this.next) | 0) > 0) {
      this.skipGap(t)
    }
    const fin = this.finSeq
    if (this.held.length === 0 && fin !== undefined && ((fin - this.next) | 0) > 0 && ((acked - fin) | 0) >= 0) this.gapTo(fin, t, 'lost')
  }

  private gapTo(seq: number, t: number, cause: GapCause): void {
    const missing = (seq - this.next) >>> 0
    if (missing === 0) return
    this.gaps++
    this.gapBytes += missing
    this.next = seq
    this.out.gap(this, missing, t, cause)
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
