// The bytes a half-stream delivered that its peer has not acknowledged yet: a
// retransmission can only repeat those (the sender keeps what is unacknowledged),
// so they are what a retransmission is compared with to tell a plain repeat from
// a retransmission with different data. Acknowledged bytes are forgotten at once,
// and at most `max` bytes are kept (a capture that misses the ACKs of one
// direction would otherwise keep all of it).

/** Where a retransmission disagrees with the first copy of the same sequence numbers. */
export interface Mismatch {
  /** Sequence number of the first byte that differs. */
  readonly seq: number
  /** Bytes compared from there (the overlap of the two copies, from the first difference on). */
  readonly length: number
  /** Up to EXCERPT bytes from the first difference of the copy captured first, and of the later one (copies). */
  readonly first: Buffer
  readonly later: Buffer
}

/** Bytes of each copy kept to show the difference. */
export const EXCERPT = 16

/** Default bound per half-stream: what a window of unacknowledged data usually holds on loopback and LANs. */
export const DEFAULT_SENT_WINDOW = 64 * 1024

const EMPTY = Buffer.alloc(0)

export class SentWindow {
  /** Bytes kept: buf[at, at + len) hold sequence numbers [seq, seq + len). */
  private buf: Buffer = EMPTY
  private at = 0
  private len = 0
  private seq = 0

  constructor(private readonly max = DEFAULT_SENT_WINDOW) {}

  get length(): number {
    return this.len
  }

  /** Bytes delivered at `seq`, copied. A jump (a gap) starts the window over. */
  append(seq: number, bytes: Uint8Array): void {
    if (bytes.length === 0 || this.max === 0) return
    if (this.len === 0 || ((this.seq + this.len) >>> 0) !== seq) {
      this.at = 0
      this.len = 0
      this.seq = seq
    }
    if (bytes.length >= this.max) {
      // Only the tail fits.
      this.ensure(this.max)
      this.buf.set(bytes.subarray(bytes.length - this.max), 0)
      this.at = 0
      this.len = this.max
      this.seq = (seq + bytes.length - this.max) >>> 0
      return
    }
    const over = this.len + bytes.length - this.max
    if (over > 0) this.drop(over)
    if (this.at + this.len + bytes.length > this.buf.length) this.compact(this.len + bytes.length)
    this.buf.set(bytes, this.at + this.len)
    this.len += bytes.length
  }

  /** The peer acknowledged everything before `ack`: those bytes will not be retransmitted. */
  acked(ack: number): void {
    if (this.len === 0) return
    const n = (ack - this.seq) | 0
    if (n <= 0) return
    this.drop(Math.min(n, this.len))
  }

  clear(): void {
    this.len = 0
    this.at = 0
  }

  /** Compare another copy of the bytes at `seq` with what was kept; undefined when they agree (or nothing overlaps). */
  compare(seq: number, bytes: Uint8Array): Mismatch | undefined {
    if (this.len === 0) return undefined
    let from = (this.seq - seq) | 0 // offset in bytes of the first kept sequence number
    let kept = 0 // offset in the window
    if (from < 0) {
      kept = -from
      from = 0
    }
    const n = Math.min(bytes.length - from, this.len - kept)
    if (n <= 0) return undefined
    const mine = this.buf.subarray(this.at + kept, this.at + kept + n)
    for (let i = 0; i < n; i++) {
      if (mine[i] !== bytes[from + i]) {
        return {
          seq: (seq + from + i) >>> 0,
          length: n - i,
          first: Buffer.from(mine.subarray(i, i + EXCERPT)),
          later: Buffer.from(bytes.subarray(from + i, from + i + EXCERPT)),
        }
      }
    }
    return undefined
  }

  private drop(n: number): void {
    this.at += n
    this.len -= n
    this.seq = (this.seq + n) >>> 0
    if (this.len === 0) this.at = 0
  }

  private ensure(n: number): void {
    if (this.buf.length < n) this.buf = Buffer.allocUnsafe(Math.min(this.max, Math.max(n, 256)))
  }

  /** Room for `need` bytes from offset 0: move what is kept to the front, growing (doubling, up to max) if it must. */
  private compact(need: number): void {
    if (need > this.buf.length) {
      let cap = Math.max(256, this.buf.length)
      while (cap < need) cap *= 2
      const next = Buffer.allocUnsafe(Math.min(cap, this.max))
      this.buf.copy(next, 0, this.at, this.at + this.len)
      this.buf = next
    } else {
      this.buf.copy(this.buf, 0, this.at, this.at + this.len)
    }
    this.at = 0
  }
}
