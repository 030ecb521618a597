import {describe, expect, it} from 'vitest'

import {Reservoir} from '../../src/stats/index.js'

describe('Reservoir', () => {
  it('keeps everything up to its size, then a uniform sample of that size', () => {
    const r = new Reservoir<number>(100, 42)
    for (let i = 0; i < 100; i++) r.offer(i)
    expect([...r.kept].sort((a, b) => a - b)).toEqual(Array.from({length: 100}, (_, i) => i))
    for (let i = 100; i < 100_000; i++) r.offer(i)
    expect(r.kept.length).toBe(100)
    expect(r.offered).toBe(100_000)
    // Uniform: about half the kept items come from each half of the stream (binomial, 100 draws: 30..70 is > 99.99%).
    const low = r.kept.filter((v) => v < 50_000).length
    expect(low).toBeGreaterThan(30)
    expect(low).toBeLessThan(70)
  })

  it('finds a kept item by key, and forgets the key when the item is replaced', () => {
    const r = new Reservoir<{v: number}>(1, 7)
    r.offer({v: 1}, 'a')
    expect(r.get('a')).toEqual({v: 1})
    for (let i = 0; i < 1000 && r.get('a') !== undefined; i++) r.offer({v: 2}, `b${i}`)
    expect(r.get('a')).toBeUndefined()
  })

  it('draws the same sample for the same seed', () => {
    const draw = () => {
      const r = new Reservoir<number>(10, 99)
      for (let i = 0; i < 5000; i++) r.offer(i)
      return [...r.kept]
    }
    expect(draw()).toEqual(draw())
  })
})
