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
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && this.less(a[l], a[m])) m = l
        if (r < a.length && this.less(a[r], a[m])) m = r
        if (m === i) break
        const t = a[i]
        a[i] = a[m]
        a[m] = t
        i = m
      }
    }
    return top
  }

  clear(): void {
    this.a = []
  }

  /** Every element, in no particular order. */
  values(): readonly T[] {
    return this.a
  }
}
