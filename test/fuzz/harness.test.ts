import {describe, expect, it} from 'vitest'
import {IterationBudget, MUTATORS, makeInput, runFuzz, type FuzzTarget} from './harness.js'
import {Rng} from './rng.js'

// The harness must catch what it claims to catch; decoders that misbehave on
// purpose prove it.

const SEEDS = [Buffer.from('0200000046000000143230303030303030303030', 'hex'), Buffer.from('hello world')]
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('fuzz harness', () => {
  it('reports an exception that escapes, with the input and a replayable case number', () => {
    const target: FuzzTarget = {
      name: 'throws on 0xff',
      seeds: SEEDS,
      run(input) {
        if (input.includes(0xff)) throw new RangeError('boom')
      },
    }
    const r = runFuzz(target, {cases: 2000, seed: 7, maxFailures: 3})
    expect(r.failures).toHaveLength(3)
    for (const f of r.failures) {
      expect(f.error).toContain('RangeError: boom')
      const replay = makeInput(target, 7, f.caseNumber).input
      expect(hex(replay)).toBe(f.inputHex)
      expect(replay.includes(0xff)).toBe(true)
    }
  })

  it('turns a decoder loop that stops making progress into a failure instead of a hang', () => {
    const target: FuzzTarget = {
      name: 'stalls on 0x02',
      seeds: SEEDS,
      run(input) {
        const guard = new IterationBudget(input.length + 1, 'scan')
        let at = 0
        while (at < input.length) {
          guard.tick()
          if (input[at] !== 0x02) at++ // the planted bug: never moves past a start byte
        }
      },
    }
    const r = runFuzz(target, {cases: 500, seed: 1, maxFailures: 1})
    expect(r.failures).toHaveLength(1)
    expect(r.failures[0].error).toContain('iteration budget exhausted')
  })

  it('notices memory that grows without bound', () => {
    const leak: Uint8Array[] = []
    const target: FuzzTarget = {
      name: 'leaks 64 KiB a case',
      seeds: SEEDS,
      run() {
        leak.push(new Uint8Array(64 * 1024).fill(1))
      },
    }
    const r = runFuzz(target, {cases: 2000, seed: 1, memoryBudget: 16 * 1024 * 1024, memoryEvery: 100})
    leak.length = 0
    expect(r.failures.at(-1)?.error).toMatch(/memory grew by [\d.]+ MiB/)
    expect(r.cases).toBeLessThan(2000)
  })

  it('passes a decoder that keeps its invariants, and counts every case', () => {
    const r = runFuzz({name: 'fine', seeds: SEEDS, run: () => undefined}, {cases: 1234, seed: 3})
    expect(r.failures).toEqual([])
    expect(r.cases).toBe(1234)
    expect(r.memory.maxGrowth).toBeLessThan(16 * 1024 * 1024)
  })

  it('is deterministic from its seed, and varied', () => {
    const target: FuzzTarget = {name: 't', seeds: SEEDS, run: () => undefined}
    const a = Array.from({length: 300}, (_, i) => hex(makeInput(target, 11, i).input))
    const b = Array.from({length: 300}, (_, i) => hex(makeInput(target, 11, i).input))
    const c = Array.from({length: 300}, (_, i) => hex(makeInput(target, 12, i).input))
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    expect(new Set(a).size).toBeGreaterThan(250)
    // Mutated seeds and pure random bytes both occur: some inputs keep a seed's first bytes.
    expect(a.filter((h) => h.startsWith('0200000046')).length).toBeGreaterThan(10)
  })

  it('has mutators that change inputs in every way they claim', () => {
    const rng = new Rng(5)
    const ctx = {seeds: SEEDS, maxLen: 100}
    const base = (): Uint8Array => new Uint8Array(SEEDS[0])
    const lengths = (name: string): Set<number> => new Set(Array.from({length: 50}, () => MUTATORS[name](base(), rng, ctx).length))
    expect([...lengths('insertBytes')].every((n) => n > SEEDS[0].length)).toBe(true)
    expect([...lengths('deleteRange')].some((n) => n < SEEDS[0].length)).toBe(true)
    expect([...lengths('truncate')].every((n) => n <= SEEDS[0].length)).toBe(true)
    expect([...lengths('append')].every((n) => n > SEEDS[0].length)).toBe(true)
    const flipped = MUTATORS.flipBit(base(), rng, ctx)
    let bits = 0
    for (let i = 0; i < flipped.length; i++) bits += ((flipped[i] ^ SEEDS[0][i]) >>> 0).toString(2).replace(/0/g, '').length
    expect(bits).toBe(1)
    const ints = Array.from({length: 200}, () => {
      const m = MUTATORS.corruptInt32(base(), rng, ctx)
      const dv = new DataView(m.buffer, m.byteOffset)
      return Array.from({length: m.length - 3}, (_, i) => dv.getUint32(i, false))
    }).flat()
    expect(ints).toContain(0x7fffffff)
    // Seeds are never edited in place.
    expect(hex(SEEDS[0])).toBe('0200000046000000143230303030303030303030')
  })
})
