import {describe, expect, it} from 'vitest'

import {TimeBuckets} from '../../src/report/index.js'

const counter = () => new TimeBuckets<{n: number}>({create: () => ({n: 0}), merge: (a, b) => void (a.n += b.n)}, 8)

describe('TimeBuckets', () => {
  it('doubles the bucket width, merging neighbours, so no time span needs more than maxBuckets', () => {
    const b = counter()
    for (let t = 0; t < 1000; t++) b.at(t).n++
    const s = b.span()
    expect(s.bucketMs).toBe(128)
    expect(s.cells.length).toBeLessThanOrEqual(8)
    expect(s.cells.map((c) => c?.n ?? 0)).toEqual([128, 128, 128, 128, 128, 128, 128, 104])
  })

  it('starts the span at the first bucket that holds anything and keeps empty ones inside as holes', () => {
    const b = counter()
    b.at(5).n++
    b.at(7).n += 2
    const s = b.span()
    expect([s.startMs, s.bucketMs]).toEqual([5, 1])
    expect(s.cells.map((c) => c?.n)).toEqual([1, undefined, 2])
  })

  it('span(atMost) merges into new cells and leaves the series as it was', () => {
    const b = counter()
    for (let t = 0; t < 8; t++) b.at(t).n = t + 1
    const wide = b.span(2)
    expect([wide.bucketMs, wide.cells.map((c) => c?.n)]).toEqual([4, [10, 26]])
    expect(b.span().cells.map((c) => c?.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('puts a time before the origin into the first bucket', () => {
    const b = counter()
    b.at(-3).n++
    expect(b.span().cells[0]?.n).toBe(1)
  })
})
