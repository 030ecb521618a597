// A uniform random sample of at most `size` items from a stream of unknown
// length (Vitter's Algorithm R), with a seeded generator: the same capture
// gives the same report. Items can be found again by key while they are kept
// (a late reply updates the point of its unanswered request).

/** xorshift32, seeded. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 2 ** 32
  }
}

export class Reservoir<T> {
  private readonly items: T[] = []
  private readonly keys: Array<string | undefined> = []
  private readonly byKey = new Map<string, number>()
  private seen = 0
  private readonly random: () => number

  constructor(
    readonly size: number,
    seed = 0x5eed,
  ) {
    this.random = seededRandom(seed)
  }

  /** Items offered so far. */
  get offered(): number {
    return this.seen
  }

  get kept(): readonly T[] {
    return this.items
  }

  offer(item: T, key?: string): void {
    const slot = this.reserve()
    if (slot !== -1) this.put(slot, item, key)
  }

  /**
   * Count one more item and say where it goes: a slot to put() it in, or -1 when the sample
   * passes it by (then it need not even be made: most are, in a long capture).
   */
  reserve(): number {
    this.seen++
    if (this.items.length < this.size) return this.items.length
    const j = Math.floor(this.random() * this.seen)
    return j < this.size ? j : -1
  }

  put(slot: number, item: T, key?: string): void {
    this.place(slot, item, key)
  }

  /** The kept item with this key, if it is still kept. */
  get(key: string): T | undefined {
    const i = this.byKey.get(key)
    return i === undefined ? undefined : this.items[i]
  }

  private place(i: number, item: T, key: string | undefined): void {
    const old = this.keys[i]
    if (old !== undefined) this.byKey.delete(old)
    this.items[i] = item
    this.keys[i] = key
    if (key !== undefined) this.byKey.set(key, i)
  }
}
