import {describe, expect, it} from 'vitest'

import {RatePacer} from '../../src/rpc/load-pacer.js'

/** Slots taken by time `until` when every caller takes a slot as soon as it is due (times are given, not waited for). */
function takenBy(p: RatePacer, until: number, at: (now: number) => number = (n) => n): number {
  let n = 0
  for (let now = 0; now <= until; ) {
    const slot = Math.max(now, p.peek(now))
    if (slot > until) break
    p.advance()
    n++
    now = at(slot)
  }
  return n
}

describe('RatePacer', () => {
  it('lets through at most 1 + elapsed * rps calls, however many ask', () => {
    expect(takenBy(new RatePacer(50, 0, 8), 1000)).toBe(51)
    expect(takenBy(new RatePacer(1000, 0, 8), 250)).toBe(251)
  })

  it('catches up a backlog of at most `burst` slots after a stall, and counts the rest as skipped', () => {
    const p = new RatePacer(100, 0, 5)
    p.advance()
    // Nothing asked for 1 s: 100 slots went by; 5 may still start at once.
    let late = 0
    while (p.peek(1000) < 1000) {
      p.advance()
      late++
    }
    expect(late).toBe(5)
    expect(p.skipped).toBe(94)
  })
})
