import {describe, expect, it} from 'vitest'

import {BurstLog, DecadeLog, LOG_TEXT_MAX, payloadHead, wireText} from '../../src/rpc/log-limits.js'
import {TimerQueue} from '../../src/net/index.js'

describe('log limits', () => {
  it('DecadeLog passes the first five, then one line per decade carrying the count; the counts sum to the events', () => {
    for (const n of [0, 1, 5, 6, 10, 11, 99, 100, 101, 4321]) {
      const log = new DecadeLog<number>()
      const lines: Array<{event: number; count?: number; skipped: number}> = []
      for (let i = 1; i <= n; i++) {
        const l = log.add(i, 2)
        if (l !== undefined) lines.push(l)
      }
      const rest = log.finish(n)
      if (rest !== undefined) lines.push(rest)
      expect(lines.reduce((s, l) => s + (l.count ?? 1), 0)).toBe(n)
      expect(lines.reduce((s, l) => s + l.skipped, 0)).toBe(2 * n)
      expect(lines.length).toBeLessThanOrEqual(5 + Math.ceil(Math.log10(Math.max(n, 1))) + 1)
    }
    const log = new DecadeLog<string>()
    const out = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((e) => log.add(e, 1))
    expect(out.slice(0, 5).map((l) => l?.event)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(out.slice(5, 9)).toEqual([undefined, undefined, undefined, undefined])
    expect(out[9]).toEqual({event: 'j', count: 5, skipped: 5})
    expect(log.finish('j')).toBeUndefined()
  })

  it('BurstLog sends the first at once and the rest of a burst together once the interval has passed', () => {
    let now = 0
    const clock = {now: () => now, epochMs: () => now}
    const armed: Array<() => void> = []
    const timers = new TimerQueue(clock, {set: (fn) => armed.push(fn), clear: () => {}})
    const sent: Array<[string, number]> = []
    const log = new BurstLog<string>(1000, timers, clock, (e, n) => sent.push([e, n]))
    log.add('a')
    for (const e of ['b', 'c', 'd']) log.add(e)
    expect(sent).toEqual([['a', 1]])
    now = 1000
    timers.runDue()
    expect(sent).toEqual([['a', 1], ['d', 3]])
    log.add('e')
    log.flush()
    expect(sent.at(-1)).toEqual(['e', 1])
    log.flush()
    expect(sent).toHaveLength(3)
  })

  it('cuts wire strings to their first characters with the length, without decoding the rest', () => {
    expect(wireText(Buffer.from('Order.makeOrder'))).toEqual({text: 'Order.makeOrder'})
    const long = Buffer.alloc(64 * 1024 * 1024, 0x31)
    const cut = wireText(long)
    expect(cut.bytes).toBe(long.length)
    expect(cut.text).toBe('1'.repeat(LOG_TEXT_MAX) + '…')
    expect(payloadHead(Buffer.alloc(1000, 0xab))).toBe('ab'.repeat(32))
  })
})
