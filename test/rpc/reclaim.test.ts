import {describe, expect, it} from 'vitest'

import {TimerQueue} from '../../src/net/index.js'
import {Reclaimer} from '../../src/rpc/reclaim.js'

describe('Reclaimer', () => {
  it('asks for one collection after a burst of released buffers, a second after the interval', () => {
    let now = 0
    const clock = {now: () => now, epochMs: () => now}
    const timers = new TimerQueue(clock, {set: () => 0, clear: () => {}})
    const r = new Reclaimer(timers, clock)
    r.release(8 * 1024 * 1024)
    expect(timers.size).toBe(0) // below 16 MiB: nothing worth a collection yet
    for (let i = 0; i < 10; i++) r.release(8 * 1024 * 1024)
    expect(timers.size).toBe(1) // the burst is one collection, once it is over
    now = 1000
    timers.runDue()
    expect(r.collections).toBe(1)
    r.release(32 * 1024 * 1024)
    now = 2000
    timers.runDue()
    expect(r.collections).toBe(1) // at most one every 5 s
    now = 6000
    timers.runDue()
    expect(r.collections).toBe(2)
  })
})
