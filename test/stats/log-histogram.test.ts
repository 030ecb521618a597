import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {SniffStats} from '../../src/sniff/index.js'
import {histogram, renderHistogram} from '../../src/render/histogram.js'
import {LogHistogram, percentile, summarize} from '../../src/stats/index.js'

const PS = [0, 1, 25, 50, 90, 99, 99.9, 100]

function of(samples: readonly number[]): LogHistogram {
  const h = new LogHistogram()
  for (const v of samples) h.record(v)
  return h
}

function relErr(got: number, want: number): number {
  return want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want)
}

describe('LogHistogram', () => {
  it('reports every percentile within 1% of the exact nearest-rank sample, and count/min/max/mean exactly', () => {
    const latency = fc.double({min: 1e-3, max: 3.6e6, noNaN: true})
    fc.assert(
      fc.property(fc.array(latency, {minLength: 1, maxLength: 400}), (samples) => {
        const h = of(samples)
        const sorted = [...samples].sort((a, b) => a - b)
        for (const p of PS) expect(relErr(h.percentile(p), percentile(sorted, p)), `p${p}`).toBeLessThanOrEqual(0.01 + 1e-12)
        const exact = summarize(samples)!
        const s = h.summary()!
        expect(s.count).toBe(samples.length)
        expect(s.min).toBe(exact.min)
        expect(s.max).toBe(exact.max)
        expect(s.mean).toBeCloseTo(exact.mean, 6)
        expect(h.buckets().reduce((n, b) => n + b.count, 0)).toBe(samples.length)
      }),
      {numRuns: 300},
    )
  })

  it('holds a bounded number of counters however many samples it records', () => {
    const h = new LogHistogram()
    // 1 µs to 1 hour, a million samples spread log-uniformly.
    for (let i = 0; i < 1_000_000; i++) h.record(10 ** (-3 + (9.56 * i) / 1_000_000))
    expect(h.count).toBe(1_000_000)
    // ln(3.6e9) / ln(1.0202) ≈ 1100 buckets, plus the growth slack.
    expect(h.bucketCount).toBeLessThan(1200)
    expect(relErr(h.percentile(50), 10 ** (-3 + 9.56 / 2))).toBeLessThanOrEqual(0.01)
  })

  it('keeps zero latencies (request and reply in the same microsecond) and huge ones exact at the ends', () => {
    const h = of([0, 0, 0.5, 2e12])
    expect(h.min).toBe(0)
    expect(h.percentile(50)).toBe(0)
    expect(h.percentile(100)).toBe(2e12)
    expect(h.buckets().map((b) => b.count)).toEqual([2, 1, 1])
  })

  it('merges into what recording every sample in one would give', () => {
    fc.assert(
      fc.property(fc.array(fc.double({min: 0, max: 1e5, noNaN: true}), {maxLength: 200}), fc.array(fc.double({min: 0, max: 1e5, noNaN: true}), {maxLength: 200}), (a, b) => {
        const merged = of(a)
        merged.merge(of(b))
        const all = of([...a, ...b])
        expect(merged.buckets()).toEqual(all.buckets())
        expect([merged.count, merged.min, merged.max]).toEqual([all.count, all.min, all.max])
        if (all.count > 0) expect(merged.mean).toBeCloseTo(all.mean, 6)
      }),
    )
  })

  it('is empty until something is recorded', () => {
    const h = new LogHistogram()
    expect(h.summary()).toBeUndefined()
    expect(h.percentile(50)).toBeNaN()
    expect(h.buckets()).toEqual([])
    h.record(Number.NaN)
    expect(h.count).toBe(0)
  })
})

describe('the terminal histogram drawn from a LogHistogram', () => {
  it('draws the same even bars as from the samples when no value sits within 1% of a bar edge', () => {
    // 0.1 .. 1.0 ms in steps of 0.1, i times each: bar edges every 0.09 ms, values well inside.
    const samples: number[] = []
    for (let i = 1; i <= 10; i++) for (let k = 0; k < i; k++) samples.push(i / 10)
    expect(histogram(of(samples), 10, 'linear')).toEqual(histogram(samples, 10, 'linear'))
    expect(renderHistogram(of(samples), {scale: 'linear'})).toEqual(renderHistogram(samples, {scale: 'linear'}))
  })

  it('draws the same log-scale bars as from the samples when no value sits within 1% of a bar edge', () => {
    // From 1 to 1024 ms the log edges are the powers of two; values at 2^(i+0.5), i+1 times each, sit mid-bar.
    const samples: number[] = [1, 1024]
    for (let i = 0; i < 10; i++) for (let k = 0; k <= i; k++) samples.push(2 ** (i + 0.5))
    expect(histogram(of(samples))).toEqual(histogram(samples))
    expect(histogram(samples).map((b) => b.count)).toEqual([2, 2, 3, 4, 5, 6, 7, 8, 9, 11])
    expect(renderHistogram(of(samples))).toEqual(renderHistogram(samples))
  })

  it('puts every sample in some bar', () => {
    fc.assert(
      fc.property(fc.array(fc.double({min: 0, max: 1e4, noNaN: true}), {maxLength: 300}), (samples) => {
        expect(histogram(of(samples)).reduce((n, b) => n + b.count, 0)).toBe(samples.length)
      }),
      // A spread too small to divide into buckets (found by a CI run): the width underflowed to 0.
      // And a smallest value so small that max / min is past the largest double: its samples went nowhere.
      {examples: [[[0, 5e-324]], [[5e-324, 0.000001015164359942691]]]},
    )
  })
})

describe("sniff's per-method statistics", () => {
  it('keep bounded histograms, not every sample: percentiles within 1%, count, min, max and mean exact', () => {
    const stats = new SniffStats()
    const samples: number[] = []
    for (let i = 0; i < 200_000; i++) {
      // Mostly ~0.2 ms, a slow tail to 1 s.
      const v = i % 1000 === 0 ? 100 + (i % 900_000) / 1000 : 0.15 + (i % 997) / 10_000
      samples.push(v)
      stats.request('Order.makeOrder')
      stats.answered('Order.makeOrder', v, false)
    }
    const all = stats.latencyHistogram()
    expect(all.count).toBe(200_000)
    expect(all.bucketCount).toBeLessThan(1200)
    const m = stats.methodSummaries()['Order.makeOrder']
    const exact = summarize(samples)!
    const round = (v: number) => Math.round(v * 1000) / 1000
    expect([m.min, m.max]).toEqual([round(exact.min), round(exact.max)])
    expect(Math.abs(m.mean! - exact.mean)).toBeLessThanOrEqual(0.0005 + 1e-9)
    for (const k of ['p50', 'p90', 'p99'] as const) expect(relErr(m[k]!, exact[k]), k).toBeLessThanOrEqual(0.01 + 0.0005 / exact[k])
  })
})
