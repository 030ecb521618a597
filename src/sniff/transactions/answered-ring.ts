// Which msg_ids a connection answered lately, so that a reply to one of them
// again is told apart from a reply to nothing: rocket re-sends every earlier
// reply on a reused connection. Bounded: the last `capacity` answers, in a ring.

/**
 * 30-bit FNV-1a of a string's UTF-16 code units. A small integer, so the ring
 * and its index are typed arrays: remembering a million answered msg_ids makes
 * no garbage for the GC to promote and sweep (string keys did, and cost a third
 * of the run time and 60 MB of heap on a million calls).
 */
export function hash30(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h & 0x3fffffff
}

/** Slots of a ring's first arrays: most connections (one call each) never need more. */
const FIRST_SLOTS = 8

/**
 * The last `capacity` answered msg_ids, as a ring of (hash, time, replies)
 * with an index from hash to ring slot. By hash, so a 1-in-10^6 collision
 * could call an orphan reply a duplicate.
 *
 * All in typed arrays, grown by doubling up to `capacity`: the index is an
 * open-addressing table (linear probing, twice the ring's size) of slot + 1,
 * 0 for empty. An earlier Map<hash, slot> rehashed itself every `capacity`
 * answers on a busy connection, each time into new old-generation memory.
 */
export class AnsweredRing {
  /** Per slot: [hash, replies]. */
  private slots = new Int32Array(0)
  private times = new Float64Array(0)
  /** Slots in use (they fill in order until the ring is full), and the next to overwrite once it is. */
  private used = 0
  private ringAt = 0
  private index = new Int32Array(0)
  private mask = -1

  constructor(private readonly capacity: number) {}

  /** msg_id was answered at t. */
  add(msgId: string, t: number): void {
    const h = hash30(msgId)
    let at: number
    if (this.used < this.capacity) {
      if (this.used === this.times.length) this.grow()
      at = this.used++
    } else {
      at = this.ringAt
      this.ringAt = (at + 1) % this.capacity
      const old = this.find(this.slots[2 * at])
      if (old >= 0 && this.index[old] === at + 1) this.remove(old)
    }
    this.slots[2 * at] = h
    this.slots[2 * at + 1] = 1
    this.times[at] = t
    const i = this.find(h)
    if (i >= 0) this.index[i] = at + 1
    else this.insert(h, at)
  }

  /** A reply to an msg_id answered before: when first, and how many replies now. */
  duplicate(msgId: string): {firstAnsweredAt: number; count: number} | undefined {
    if (this.used === 0) return undefined
    const i = this.find(hash30(msgId))
    if (i < 0) return undefined
    const at = this.index[i] - 1
    return {firstAnsweredAt: this.times[at], count: ++this.slots[2 * at + 1]}
  }

  /** Forget every answer. */
  clear(): void {
    this.index.fill(0)
    this.used = 0
    this.ringAt = 0
  }

  /** Where hash h sits in the index, or -1. */
  private find(h: number): number {
    if (this.mask < 0) return -1
    const idx = this.index
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const s = idx[i]
      if (s === 0) return -1
      if (this.slots[2 * (s - 1)] === h) return i
    }
  }

  private insert(h: number, at: number): void {
    const idx = this.index
    let i = h & this.mask
    while (idx[i] !== 0) i = (i + 1) & this.mask
    idx[i] = at + 1
  }

  /** Take entry i out of the index, moving up the entries after it that probed past it (no tombstones). */
  private remove(i: number): void {
    const idx = this.index
    const mask = this.mask
    let j = i
    for (;;) {
      j = (j + 1) & mask
      const s = idx[j]
      if (s === 0) break
      const home = this.slots[2 * (s - 1)] & mask
      // The entry at j may move to i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j
      if (!stays) {
        idx[i] = s
        i = j
      }
    }
    idx[i] = 0
  }

  /** Double the ring (it has not wrapped yet: slots are in order) and rebuild the index. */
  private grow(): void {
    const n = Math.min(this.capacity, Math.max(FIRST_SLOTS, 2 * this.times.length))
    const slots = new Int32Array(2 * n)
    slots.set(this.slots)
    const times = new Float64Array(n)
    times.set(this.times)
    this.slots = slots
    this.times = times
    let size = 1
    while (size < 2 * n) size *= 2
    this.index = new Int32Array(size)
    this.mask = size - 1
    for (let at = 0; at < this.used; at++) {
      const h = slots[2 * at]
      const i = this.find(h)
      if (i >= 0) this.index[i] = at + 1
      else this.insert(h, at)
    }
  }
}
