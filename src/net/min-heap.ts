/**
 * A binary min-heap ordered by `less`. The timer queue keeps deadlines in one;
 * the benchmarks' capture generator keeps packets by time.
 */
export class MinHeap<T> {
  private a: T[] = []

  constructor(private readonly less: (x: T, y: T) => boolean) {}

  get size(): number {
    return this.a.length
  }

  peek(): T | undefined {
    return this.a[0]
  }

  push(v: T): void {
    const a = this.a
    a.push(v)
    let i = a.length - 1
    while (i > 0) {
      const up = (i - 1) >> 1
      if (!this.less(a[i], a[up])) break
      const t = a[i]
      a[i] = a[up]
      a[up] = t
      i = up
    }
  }

  pop(): T | undefined {
    const a = this.a
    if (a.length === 0) return undefined
    const top = a[0]
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      this.siftDown(0)
    }
    return top
  }

  private siftDown(i: number): void {
    const a = this.a
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < a.length && this.less(a[l], a[m])) m = l
      if (r < a.length && this.less(a[r], a[m])) m = r
      if (m === i) return
      const t = a[i]
      a[i] = a[m]
      a[m] = t
      i = m
    }
  }

  clear(): void {
    this.a = []
  }

  /** Keep only the elements `keep` accepts, in heap order again (O(n)). */
  retain(keep: (v: T) => boolean): void {
    const a = this.a.filter(keep)
    this.a = a
    for (let i = (a.length >> 1) - 1; i >= 0; i--) this.siftDown(i)
  }

  /** Every element, in no particular order. */
  values(): readonly T[] {
    return this.a
  }
}
