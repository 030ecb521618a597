import {describe, expect, it} from 'vitest'

import {AnsweredRing, hash30} from '../../../src/sniff/index.js'

describe('AnsweredRing: the msg_ids a connection answered lately', () => {
  it('counts the replies to an answered msg_id, and remembers when it was first answered', () => {
    const ring = new AnsweredRing(4)
    ring.add('00000000000000000001', 1.5)
    expect(ring.duplicate('00000000000000000002')).toBeUndefined()
    expect(ring.duplicate('00000000000000000001')).toEqual({firstAnsweredAt: 1.5, count: 2})
    expect(ring.duplicate('00000000000000000001')).toEqual({firstAnsweredAt: 1.5, count: 3})
  })

  it('forgets the oldest answer once full, and everything on clear', () => {
    const ring = new AnsweredRing(3)
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) ring.add(id, i)
    expect(ring.duplicate('a')).toBeUndefined()
    expect(ring.duplicate('b')).toEqual({firstAnsweredAt: 1, count: 2})
    expect(ring.duplicate('d')).toEqual({firstAnsweredAt: 3, count: 2})
    // An msg_id answered again is remembered from its latest answer.
    ring.add('b', 4)
    ring.add('e', 5)
    ring.add('f', 6)
    expect(ring.duplicate('b')).toEqual({firstAnsweredAt: 4, count: 2})
    ring.clear()
    expect(ring.duplicate('f')).toBeUndefined()
  })

  it('answers like a Map from msg_id to its latest answer, over many evictions and collisions of the index', () => {
    // The reference: what the ring promises, kept the plain way.
    const capacity = 37
    const ring = new AnsweredRing(capacity)
    const order: string[] = []
    const latest = new Map<string, {t: number; count: number}>()
    let seed = 7
    const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0)
    for (let i = 0; i < 5000; i++) {
      const id = String(next() % 60)
      if (next() % 3 === 0) {
        const want = latest.get(id)
        const got = ring.duplicate(id)
        if (want === undefined) expect(got).toBeUndefined()
        else expect(got).toEqual({firstAnsweredAt: want.t, count: ++want.count})
        continue
      }
      ring.add(id, i)
      order.push(id)
      if (order.length > capacity) {
        const gone = order.shift()!
        if (!order.includes(gone)) latest.delete(gone)
      }
      latest.set(id, {t: i, count: 1})
    }
  })

  it('hashes to 30 bits', () => {
    for (const s of ['', '20000000000000000001', 'x'.repeat(1000)]) expect(hash30(s)).toBeLessThan(2 ** 30)
    expect(hash30('20000000000000000001')).not.toBe(hash30('20000000000000000002'))
  })
})
