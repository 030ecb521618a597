// Values over time in a bounded number of buckets, for captures of any length:
// buckets start 1 ms wide and double in width (merging neighbours) whenever
// time runs past the last one, so a 1-second capture and a 10-hour one both
// end with at most `maxBuckets` of them, each a power-of-two number of ms wide.
// Times are ms from a fixed origin and never negative (a sniff's times start
// at the capture's first whole second; a load test's at the run's start).

export interface BucketOps<T> {
  create(): T
  /** Fold `from` into `into` (two neighbours becoming one bucket). */
  merge(into: T, from: T): void
}

export class TimeBuckets<T> {
  private cells: Array<T | undefined> = []
  private width: number

  constructor(
    private readonly ops: BucketOps<T>,
    readonly maxBuckets: number,
    initialWidthMs = 1,
  ) {
    if (!(maxBuckets >= 2)) throw new RangeError(`maxBuckets must be at least 2, got ${maxBuckets}`)
    this.width = initialWidthMs
  }

  get bucketMs(): number {
    return this.width
  }

  /** The bucket holding time t (ms), made if new. */
  at(t: number): T {
    const i = this.indexFor(t)
    let cell = this.cells[i]
    if (cell === undefined) {
      cell = this.ops.create()
      this.cells[i] = cell
    }
    return cell
  }

  /** The bucket holding time t if it exists. */
  peek(t: number): T | undefined {
    const i = Math.floor(Math.max(0, t) / this.width)
    return i < this.cells.length ? this.cells[i] : undefined
  }

  /**
   * The buckets from the first that holds anything to the last, with its start (ms from the
   * origin): empty ones in between are undefined. With `atMost`, neighbours are merged (into
   * new cells: this series is left as it is) until there are no more than that many: a sparse
   * capture reads better in wider buckets.
   */
  span(atMost = Infinity): {startMs: number; bucketMs: number; cells: Array<T | undefined>} {
    let width = this.width
    let cells = this.cells
    const count = () => {
      let first = 0
      while (first < cells.length && cells[first] === undefined) first++
      return {first, n: cells.length - first}
    }
    while (count().n > Math.max(1, atMost)) {
      const next: Array<T | undefined> = []
      for (let i = 0; i < cells.length; i += 2) {
        const a = cells[i]
        const b = cells[i + 1]
        if (a === undefined && b === undefined) next.push(undefined)
        else {
          const cell = this.ops.create()
          if (a !== undefined) this.ops.merge(cell, a)
          if (b !== undefined) this.ops.merge(cell, b)
          next.push(cell)
        }
      }
      cells = next
      width *= 2
    }
    const {first} = count()
    return {startMs: first * width, bucketMs: width, cells: cells.slice(first)}
  }

  private indexFor(t: number): number {
    let i = Math.floor(Math.max(0, t) / this.width)
    while (i >= this.maxBuckets) {
      this.double()
      i = Math.floor(Math.max(0, t) / this.width)
    }
    return i
  }

  private double(): void {
    const old = this.cells
    const next: Array<T | undefined> = []
    for (let i = 0; i < old.length; i += 2) {
      const a = old[i]
      const b = old[i + 1]
      if (a === undefined) next.push(b)
      else {
        if (b !== undefined) this.ops.merge(a, b)
        next.push(a)
      }
    }
    this.cells = next
    this.width *= 2
  }
}
