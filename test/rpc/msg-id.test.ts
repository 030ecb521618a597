import {describe, expect, it} from 'vitest'

import {MsgIdGenerator, urandom} from '../../src/rpc/msg-id.js'

describe('MsgIdGenerator', () => {
  it('makes 20 decimal digits, then counts up like rocket', () => {
    const g = new MsgIdGenerator()
    const a = g.next()
    expect(a).toMatch(/^\d{20}$/)
    const b = g.next()
    expect(BigInt(b) - BigInt(a)).toBe(1n)
  })

  it('carries across digits and draws a new start after all nines', () => {
    let draws = 0
    const seq = [Uint8Array.from({length: 20}, (_, i) => (i < 18 ? 9 : 8)), new Uint8Array(20)]
    const g = new MsgIdGenerator((n) => {
      expect(n).toBe(20)
      return seq[draws++]
    })
    expect(g.next()).toBe('99999999999999999988')
    expect(g.next()).toBe('99999999999999999989')
    expect(g.next()).toBe('99999999999999999990')
    for (let i = 0; i < 9; i++) g.next()
    expect(g.next()).toBe('00000000000000000000') // after 999...99, a fresh draw
    expect(draws).toBe(2)
  })
})

describe('urandom', () => {
  it('reads the bytes asked for from /dev/urandom, different each time', () => {
    const draws = Array.from({length: 4}, () => Buffer.from(urandom(20)).toString('hex'))
    for (const d of draws) expect(d).toMatch(/^[0-9a-f]{40}$/)
    // Four 160-bit draws: equal ones would mean the bytes are not random.
    expect(new Set(draws).size).toBe(4)
    expect(urandom(0).length).toBe(0)
  })
})
