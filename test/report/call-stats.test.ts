import {describe, expect, it} from 'vitest'

import {ALL_METHODS, type CallRecord, CallStats, logBins} from '../../src/report/index.js'
import {LogHistogram} from '../../src/stats/index.js'

const call = (over: Partial<CallRecord>): CallRecord => ({t: 0, ms: 1, method: 'Order.makeOrder', server: '127.0.0.1:12345', status: 'ok', answered: true, ...over})

describe('CallStats', () => {
  it('counts calls by status per method and per server, with quantiles of the answered ones only', () => {
    const s = new CallStats()
    for (let i = 1; i <= 100; i++) s.record(call({t: i, ms: i}))
    s.record(call({t: 50, ms: 999, status: 'unanswered', answered: false}))
    s.record(call({t: 60, ms: 3, method: 'Order.queryOrder', server: '127.0.0.1:39999', status: 'error'}))
    const [make, query] = s.methodGroups()
    expect(make).toMatchObject({name: 'Order.makeOrder', calls: 101, statuses: {ok: 100, unanswered: 1}})
    // The unanswered call's 999 ms wait is not a latency.
    expect(make.latency).toMatchObject({min: 1, max: 100})
    expect(make.latency!.p50).toBeCloseTo(50, -0.3)
    expect(make.latency!.p99).toBeCloseTo(99, -0.3)
    expect(query).toMatchObject({name: 'Order.queryOrder', calls: 1, statuses: {error: 1}, latency: {min: 3, max: 3}})
    expect(s.serverGroups().map((g) => [g.name, g.calls])).toEqual([
      ['127.0.0.1:12345', 101],
      ['127.0.0.1:39999', 1],
    ])
    expect(s.statuses().map((x) => [x.key, x.count, x.answered])).toEqual([
      ['ok', 100],
      ['error', 1],
      ['unanswered', 1],
    ].map(([k, n]) => [k, n, k !== 'unanswered']))
  })

  it('lists a status it has never heard of, after the known ones, with its calls', () => {
    const s = new CallStats()
    s.record(call({status: 'uncertain', answered: false}))
    s.record(call({status: 'ok'}))
    expect(s.statuses().map((x) => x.key)).toEqual(['ok', 'uncertain'])
    expect(s.rateSeries().byStatus).toHaveProperty('uncertain')
    expect(s.points().statusKeys).toContain('uncertain')
  })

  it('moves an unanswered call to late when its reply comes after all, latency and point included', () => {
    const s = new CallStats()
    const was = call({t: 10, ms: 200, status: 'unanswered', answered: false})
    s.record(was, 'k')
    s.amend(was, {...was, ms: 350, status: 'late', answered: true}, 'k')
    expect(s.statuses().map((x) => [x.key, x.count])).toEqual([['late', 1]])
    expect(s.methodGroups()[0]).toMatchObject({statuses: {late: 1}, latency: {min: 350, max: 350}})
    const p = s.points()
    expect([p.ms, p.status.map((i) => p.statusKeys[i])]).toEqual([[350], ['late']])
    expect(s.rateSeries().byStatus).toEqual({late: [1]})
  })

  it('rates: calls by when they started, in buckets that hold about 20 calls each, summing to every call', () => {
    const s = new CallStats()
    for (let i = 0; i < 4000; i++) s.record(call({t: 1000 + i * 2.5, status: i % 10 === 0 ? 'error' : 'ok'}))
    const r = s.rateSeries()
    expect(r.calls.reduce((a, b) => a + b, 0)).toBe(4000)
    expect(r.byStatus.error.reduce((a, b) => a + b, 0)).toBe(400)
    expect(r.startMs).toBeLessThanOrEqual(1000)
    expect(r.startMs + r.bucketMs).toBeGreaterThan(1000)
    expect(r.calls.length).toBeLessThanOrEqual(200)
    expect(r.bucketMs).toBe(64)
  })

  it('keeps every point of a small run and states it; samples a big one, keeping its size bound and saying how', () => {
    const small = new CallStats()
    for (let i = 0; i < 25; i++) small.record(call({t: i}))
    expect(small.points()).toMatchObject({kept: 25, total: 25, sampling: 'every call is drawn (25)'})

    const big = new CallStats({okPoints: 1000, otherPoints: 100})
    for (let i = 0; i < 50_000; i++) big.record(call({t: i, ms: 1 + (i % 7), status: i % 1000 === 0 ? 'unanswered' : 'ok', answered: i % 1000 !== 0}))
    const p = big.points()
    expect(p.kept).toBe(1050)
    expect(p.total).toBe(50_000)
    expect(p.sampling).toContain('1,000 of 49,950 calls answered with err_code 0, a uniform random sample')
    expect(p.sampling).toContain('all 50 calls with any other outcome')
    // Sorted by time, columns aligned.
    expect(p.t.every((t, i) => i === 0 || p.t[i - 1] <= t)).toBe(true)
    expect(new Set([p.t.length, p.ms.length, p.group.length, p.status.length])).toEqual(new Set([1050]))
  })

  it('quantile bands per method and for all methods, null where a band had no answered call', () => {
    const s = new CallStats()
    for (let i = 0; i < 400; i++) s.record(call({t: i < 200 ? i : 10_000 + i, ms: i < 200 ? 1 : 10, method: i % 2 === 0 ? 'A.a' : 'B.b'}))
    const b = s.latencyBands()
    expect(b.groups.map((g) => g.name)).toEqual([ALL_METHODS, 'A.a', 'B.b'])
    const all = b.groups[0]
    expect(all.p50[0]).toBeCloseTo(1, 1)
    expect(all.p50.at(-1)).toBeCloseTo(10, 0)
    expect(all.p50.some((v) => v === null)).toBe(true)
  })
})

describe('logBins', () => {
  it('gathers the 1% buckets into 10 bins per factor of ten, edges on powers of 10^0.1, every call counted once', () => {
    const h = new LogHistogram()
    for (const v of [0.5, 0.5, 1, 2, 2, 2, 50]) h.record(v)
    const bins = logBins(h)
    expect(bins.counts.reduce((a, b) => a + b, 0)).toBe(7)
    expect(bins.edges.length).toBe(bins.counts.length + 1)
    // A call is binned by the value its 1% bucket reports: within 1% of its latency.
    expect(bins.edges[0]).toBeLessThan(0.5 * 1.01)
    expect(bins.edges.at(-1)).toBeGreaterThanOrEqual(50 * 0.99)
    for (let i = 1; i < bins.edges.length; i++) expect(bins.edges[i] / bins.edges[i - 1]).toBeCloseTo(10 ** 0.1, 4)
  })

  it('draws a latency of 0 (request and reply in the same microsecond) in the lowest bin, at 1 µs', () => {
    const h = new LogHistogram()
    h.record(0)
    expect(logBins(h)).toEqual({edges: [0.000794328, 0.001], counts: [1]})
  })
})
