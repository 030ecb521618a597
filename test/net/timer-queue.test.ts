import {describe, expect, it} from 'vitest'

import {type Scheduler, TimerQueue} from '../../src/net/index.js'

/** A clock and scheduler driven by hand. */
function manualTime() {
  let now = 0
  let armed: {fn: () => void; at: number} | undefined
  let arms = 0
  const scheduler: Scheduler = {
    set(fn, ms) {
      arms++
      armed = {fn, at: now + ms}
      return armed
    },
    clear(h) {
      if (armed === h) armed = undefined
    },
  }
  return {
    clock: {now: () => now, epochMs: () => now},
    scheduler,
    get arms() {
      return arms
    },
    advance(ms: number) {
      now += ms
      while (armed && armed.at <= now) {
        const a = armed
        armed = undefined
        a.fn()
      }
    },
  }
}

describe('TimerQueue', () => {
  it('fires in deadline order, equal deadlines in insertion order', () => {
    const t = manualTime()
    const q = new TimerQueue(t.clock, t.scheduler)
    const fired: string[] = []
    q.add(30, () => fired.push('c'))
    q.add(10, () => fired.push('a1'))
    q.add(10, () => fired.push('a2'))
    q.add(20, () => fired.push('b'))
    t.advance(15)
    expect(fired).toEqual(['a1', 'a2'])
    t.advance(100)
    expect(fired).toEqual(['a1', 'a2', 'b', 'c'])
    expect(q.size).toBe(0)
  })

  it('cancelled timers never fire', () => {
    const t = manualTime()
    const q = new TimerQueue(t.clock, t.scheduler)
    const fired: number[] = []
    const handles = Array.from({length: 100}, (_, i) => q.add(i + 1, () => fired.push(i)))
    for (const h of handles.filter((_, i) => i % 2 === 0)) q.cancel(h)
    expect(q.size).toBe(50)
    t.advance(1000)
    expect(fired).toEqual(Array.from({length: 50}, (_, i) => 2 * i + 1))
  })

  it('cancelled timers do not pile up beside live ones (a server: a few idle timers live, a thousand closed connections a second)', () => {
    const t = manualTime()
    const q = new TimerQueue(t.clock, t.scheduler)
    const fired: number[] = []
    const live = Array.from({length: 10}, (_, i) => q.add(30_000, () => fired.push(-i - 1)))
    for (let i = 0; i < 10_000; i++) {
      q.cancel(q.add(30_000, () => fired.push(i)))
      expect(q.held).toBeLessThanOrEqual(2 * q.size + 65)
    }
    expect(q.size).toBe(10)
    t.advance(31_000)
    expect(fired.sort((a, b) => a - b)).toEqual(Array.from({length: 10}, (_, i) => -10 + i))
    expect(live.every((h) => h.done)).toBe(true)
  })

  it('fires in deadline order through random adds, cancels and rebuilds', () => {
    const t = manualTime()
    const q = new TimerQueue(t.clock, t.scheduler)
    let seed = 12345
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
    const fired: number[] = []
    const open: Array<{h: ReturnType<TimerQueue['add']>; at: number; id: number}> = []
    for (let id = 0; id < 5000; id++) {
      const ms = 1 + rand(1000)
      open.push({h: q.add(ms, () => fired.push(id)), at: ms, id})
      if (rand(3) > 0) q.cancel(open.splice(rand(open.length), 1)[0].h)
    }
    t.advance(2000)
    const expected = open.sort((a, b) => a.at - b.at || a.id - b.id).map((o) => o.id)
    expect(fired).toEqual(expected)
  })

  it('one call at a time arms the underlying timer once, not once per call', () => {
    const t = manualTime()
    const q = new TimerQueue(t.clock, t.scheduler)
    const fired: number[] = []
    for (let i = 0; i < 100; i++) {
      q.cancel(q.add(5000, () => fired.push(i)))
      t.advance(1)
    }
    expect(t.arms).toBe(1)
    const last = q.add(5000, () => fired.push(100))
    t.advance(10_000) // the timer armed by the first call finds nothing due, then the live one fires
    expect(fired).toEqual([100])
    expect(last.done).toBe(true)
    expect(q.size).toBe(0)
  })

  it('arms one underlying timer for many deadlines', () => {
    const t = manualTime()
    const q = new TimerQueue(t.clock, t.scheduler)
    for (let i = 0; i < 1000; i++) q.add(1000 + i, () => {})
    expect(t.arms).toBe(1)
  })

  it('a timer added from a callback runs later, and clear() drops everything', () => {
    const t = manualTime()
    const q = new TimerQueue(t.clock, t.scheduler)
    const fired: string[] = []
    q.add(5, () => {
      fired.push('first')
      q.add(5, () => fired.push('second'))
    })
    q.add(50, () => fired.push('never'))
    t.advance(5)
    t.advance(5)
    q.clear()
    t.advance(100)
    expect(fired).toEqual(['first', 'second'])
  })

  it('works on Node timers without holding the process open', async () => {
    const q = new TimerQueue()
    const at = performance.now()
    const waited = await new Promise<number>((resolve) => q.add(20, () => resolve(performance.now() - at)))
    expect(waited).toBeGreaterThanOrEqual(19)
  })
})
