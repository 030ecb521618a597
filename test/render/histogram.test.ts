import {describe, expect, it} from 'vitest'

import {histogram, renderHistogram} from '../../src/render/histogram.js'
import {LogHistogram} from '../../src/stats/index.js'

// 96 calls spread over 1..2 ms and a tail of 4 at 100 ms: what a load test against a server that stalls now and then looks like.
const TAILED = [...Array.from({length: 96}, (_, i) => 1 + i / 96), 100, 100, 100, 100]

describe('histogram', () => {
  it('even buckets put the 96 calls in one bar; log buckets spread them over several', () => {
    const linear = histogram(TAILED, 10, 'linear')
    expect(Math.max(...linear.map((b) => b.count))).toBe(96)
    const log = histogram(TAILED, 10, 'log')
    expect(log.reduce((n, b) => n + b.count, 0)).toBe(100)
    expect(Math.max(...log.map((b) => b.count))).toBeLessThan(96)
    expect(log.filter((b) => b.count > 0).length).toBeGreaterThanOrEqual(3)
    expect(log.at(-1)).toEqual({le: 100, count: 4})
  })

  it('log edges grow by one factor from min to max', () => {
    const edges = histogram(TAILED, 10, 'log').map((b) => b.le)
    const factor = Math.pow(100 / 1, 1 / 10)
    edges.forEach((e, i) => expect(e).toBeCloseTo(Math.pow(factor, i + 1), 6))
  })

  it('is log-scale by default, and draws counted values (sniff) as it draws a list (call)', () => {
    const h = new LogHistogram()
    for (const v of TAILED) h.record(v)
    const fromList = renderHistogram(TAILED)
    const fromCounts = renderHistogram(h)
    expect(fromList).toHaveLength(10)
    expect(fromCounts.map((l) => /\[(\d+)\]/.exec(l)![1]).reduce((n, c) => n + Number(c), 0)).toBe(100)
    expect(fromList[0]).toMatch(/^ +1\.585 ms \[\d+\] +■+$/)
  })

  it('keeps one bar for equal values and puts zero latencies in the first bucket', () => {
    expect(histogram([2, 2, 2])).toEqual([{le: 2, count: 3}])
    expect(histogram([0, 0])).toEqual([{le: 0, count: 2}])
    const withZero = histogram([0, 1, 10])
    expect(withZero[0].count).toBe(2)
    expect(withZero.reduce((n, b) => n + b.count, 0)).toBe(3)
  })

  it('labels small edges with enough decimals to tell them apart', () => {
    const rows = renderHistogram([0.01, 0.011, 0.012, 0.02])
    const labels = rows.map((l) => l.trim().split(' ')[0])
    expect(new Set(labels).size).toBe(labels.length)
  })
})
