// Which msg_ids a connection answered lately, so that a reply to one of them
// again is told apart from a reply to nothing: rocket re-sends every earlier
// reply on a reused connection. Bounded: the last `capacity` answers, in a ring.

/**
 * 30-bit FNV-1a of a string's UTF-16 code units. A small integer, so a Map keyed
 * by it stores entries inline: remembering a million answered msg_ids makes no
 * garbage for the GC to promote and sweep (string keys did, and cost a third
 * of the run time and 60 MB of heap on a million calls).
 */
export function hash30(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h & 0x3fffffff
}

/**
 * The last `capacity` answered msg_ids, as a ring of (hash, time, replies)
 * with an index from hash to ring slot. By hash, so a 1-in-10^6 collision
 * could call an orphan reply a duplicate.
 */
export class AnsweredRing {
  private readonly answeredAt = new Map<number, number>()
  private readonly ringHash: number[] = []
  private readonly ringT: number[] = []
  private readonly ringReplies: number[] = []
  private ringAt = 0

  constructor(private readonly capacity: number) {}

  /** msg_id was answered at t. */
  add(msgId: string, t: number): void {
    const h = hash30(msgId)
    let at: number
    if (this.ringHash.length < this.capacity) {
      at = this.ringHash.length
      this.ringHash.push(h)
      this.ringT.push(t)
      this.ringReplies.push(1)
    } else {
      at = this.ringAt
      this.ringAt = (at + 1) % this.capacity
      const old = this.ringHash[at]
      if (this.answeredAt.get(old) === at) this.answeredAt.delete(old)
      this.ringHash[at] = h
      this.ringT[at] = t
      this.ringReplies[at] = 1
    }
    this.answeredAt.set(h, at)
  }

  /** A reply to an msg_id answered before: when first, and how many replies now. */
  duplicate(msgId: string): {firstAnsweredAt: number; count: number} | undefined {
    const at = this.answeredAt.get(hash30(msgId))
    if (at === undefined) return undefined
    return {firstAnsweredAt: this.ringT[at], count: ++this.ringReplies[at]}
  }

  /** Forget every answer. */
  clear(): void {
    this.answeredAt.clear()
  }
}
