// Which msg_ids a connection answered lately, so that a reply to one of them
// again is told apart from a reply to nothing: rocket re-sends every earlier
// reply on a reused connection. Bounded: the last `capacity` answers, in a ring.

/**
 * 30-bit FNV-1a of a string's UTF-16 code units. A small integer, so the ring
 * is a typed array: remembering a million answered msg_ids makes no garbage for
 * the GC to promote and sweep (string keys did, and cost a third of the run
 * time and 60 MB of heap on a million calls).
 */
export function hash30(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h & 0x3fffffff
}

/** Slots of a ring's first arrays: most connections (one call each) never need more. */
const FIRST_SLOTS = 8
const NO_SLOTS = new Int32Array(0)
const NO_TIMES = new Float64Array(0)

/**
 * The last `capacity` answered msg_ids, as a ring of (hash, time, replies) in
 * typed arrays grown by doubling up to `capacity`. By hash, so a 1-in-10^6
 * collision could call an orphan reply a duplicate.
 *
 * Every paired call adds to it; only a reply to no waiting request looks in it,
 * so it has no index: that rare look is a scan, newest first, of at most
 * `capacity` integers. (A Map<hash, slot> index cost more than the scans it
 * saved, and rehashed itself every `capacity` answers into new memory.)
 */
export class AnsweredRing {
  /** Per slot: [hash, replies]. */
  private slots = NO_SLOTS
  private times = NO_TIMES
  /** Slots in use (they fill in order until the ring is full), and the next to overwrite once it is. */
  private used = 0
  private ringAt = 0

  constructor(private readonly capacity: number) {}

  /** msg_id was answered at t. */
  add(msgId: string, t: number): void {
    let at: number
    if (this.used < this.capacity) {
      if (this.used === this.times.length) this.grow()
      at = this.used++
    } else {
      at = this.ringAt
      this.ringAt = (at + 1) % this.capacity
    }
    this.slots[2 * at] = hash30(msgId)
    this.slots[2 * at + 1] = 1
    this.times[at] = t
  }

  /** A reply to an msg_id answered before: when it was last answered, and how many replies now. */
  duplicate(msgId: string): {firstAnsweredAt: number; count: number} | undefined {
    const h = hash30(msgId)
    const n = this.used
    // The newest slot is the one before the next to overwrite (before the last filled, until full).
    let at = n < this.capacity ? n - 1 : (this.ringAt + n - 1) % n
    for (let k = 0; k < n; k++) {
      if (this.slots[2 * at] === h) return {firstAnsweredAt: this.times[at], count: ++this.slots[2 * at + 1]}
      at = at === 0 ? n - 1 : at - 1
    }
    return undefined
  }

  /** Forget every answer. */
  clear(): void {
    this.used = 0
    this.ringAt = 0
  }

  /** Double the ring (it has not wrapped yet: slots are in order). */
  private grow(): void {
    const n = Math.min(this.capacity, Math.max(FIRST_SLOTS, 2 * this.times.length))
    const slots = new Int32Array(2 * n)
    slots.set(this.slots)
    const times = new Float64Array(n)
    times.set(this.times)
    this.slots = slots
    this.times = times
  }
}
