import v8 from 'node:v8'
import vm from 'node:vm'
import {Rng} from './rng.js'

// A reusable fuzz harness: random byte strings and mutations of valid seed
// inputs, deterministic from a seed, run through a decoder. A case fails when
// an exception escapes, when the target's own invariants throw, or when a loop
// guarded by an IterationBudget runs past it. Memory is sampled (after a forced
// GC) every few thousand cases and must stay within a budget of the baseline.
//
// Every case draws from its own Rng seeded by (run seed, case number), so any
// failure is replayed alone with makeInput(target, seed, caseNumber).

/** Changes an input; returns a new array (or the same one when it mutated it in place). */
export type Mutator = (input: Uint8Array, rng: Rng, ctx: MutateContext) => Uint8Array

export interface MutateContext {
  readonly seeds: readonly Uint8Array[]
  readonly maxLen: number
}

export interface FuzzTarget {
  readonly name: string
  /** Valid inputs the mutations start from. */
  readonly seeds: readonly Uint8Array[]
  /** Run the decoder on one input and check its invariants: throw on any violation. */
  run(input: Uint8Array, rng: Rng): void
  /** Mutators added to the generic ones, e.g. ones that know where length fields sit. */
  readonly mutators?: readonly Mutator[]
  /** Longest input made (default 2048). */
  readonly maxLen?: number
  /** Share of cases that are purely random bytes rather than mutated seeds (default 0.2). */
  readonly randomShare?: number
}

export interface FuzzOptions {
  cases: number
  /** Run seed (default 1, or FUZZ_SEED from the environment). */
  seed?: number
  /** Stop after this many failures (default 5). */
  maxFailures?: number
  /** Largest growth of heapUsed + arrayBuffers over the baseline, in bytes (default 64 MiB). */
  memoryBudget?: number
  /** Sample memory every this many cases (default 5000). */
  memoryEvery?: number
}

export interface FuzzFailure {
  readonly caseNumber: number
  readonly inputHex: string
  readonly error: string
}

export interface FuzzReport {
  readonly target: string
  readonly seed: number
  readonly cases: number
  readonly elapsedMs: number
  readonly casesPerSecond: number
  readonly failures: FuzzFailure[]
  /** Bytes of heapUsed + arrayBuffers: after warm-up, and the largest growth seen over it. */
  readonly memory: {readonly baseline: number; readonly maxGrowth: number}
}

/** Thrown by a guarded loop that ran longer than any correct decoder could. */
export class IterationBudgetExceeded extends Error {}

/**
 * Bounds a loop that a correct decoder always finishes: a decoder that stops
 * making progress shows up as a failure instead of a hang.
 */
export class IterationBudget {
  private left: number

  constructor(
    limit: number,
    private readonly what: string,
  ) {
    this.left = limit
  }

  tick(): void {
    if (--this.left < 0) throw new IterationBudgetExceeded(`${this.what}: iteration budget exhausted (no progress?)`)
  }
}

/** A function that forces a full GC: exposed at run time, so no node flag is needed. */
const forceGc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc')
  return vm.runInNewContext('gc') as () => void
})()

/** heapUsed + arrayBuffers after a full GC: what the process really holds. */
export function retainedBytes(): number {
  forceGc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

// Values that sit on the edges of length checks: zero, the TinyPB minimum, sign
// bits, all ones, and the largest int32 (a frame claiming pk_len 0x7fffffff).
const INTERESTING_INT32 = [0, 1, 2, 3, 4, 5, 25, 26, 27, 127, 128, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000, 0x4000000, 0x4000001, 0x7ffffffe, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]
const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x07, 0x08, 0x0c, 0x7f, 0x80, 0x81, 0xfe, 0xff]

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function range(rng: Rng, len: number): [number, number] {
  const a = rng.int(len + 1)
  const b = rng.int(len + 1)
  return a <= b ? [a, b] : [b, a]
}

/** The generic mutators: bit flips, byte edits, insertions, deletions, splices, length-field corruption. */
export const MUTATORS: Readonly<Record<string, Mutator>> = {
  flipBit(input, rng) {
    if (input.length === 0) return input
    input[rng.int(input.length)] ^= 1 << rng.int(8)
    return input
  },
  setByte(input, rng) {
    if (input.length === 0) return input
    input[rng.int(input.length)] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.u32() & 0xff
    return input
  },
  insertBytes(input, rng) {
    const at = rng.int(input.length + 1)
    const n = rng.range(1, 16)
    const ins = rng.chance(0.5) ? rng.bytes(n) : new Uint8Array(n).fill(rng.pick(INTERESTING_BYTES))
    return concat(input.subarray(0, at), ins, input.subarray(at))
  },
  deleteRange(input, rng) {
    const [a, b] = range(rng, input.length)
    return concat(input.subarray(0, a), input.subarray(Math.min(b, a + 64)))
  },
  duplicateRange(input, rng) {
    const [a, b] = range(rng, input.length)
    const at = rng.int(input.length + 1)
    return concat(input.subarray(0, at), input.subarray(a, b), input.subarray(at))
  },
  truncate(input, rng) {
    return input.subarray(0, rng.int(input.length + 1))
  },
  splice(input, rng, ctx) {
    const other = rng.pick(ctx.seeds)
    return concat(input.subarray(0, rng.int(input.length + 1)), other.subarray(rng.int(other.length + 1)))
  },
  append(input, rng, ctx) {
    return concat(input, rng.pick(ctx.seeds))
  },
  /** Overwrite 4 bytes anywhere with an edge-case big-endian int32, as a corrupted length field. */
  corruptInt32(input, rng) {
    if (input.length < 4) return input
    const at = rng.int(input.length - 3)
    const v = rng.chance(0.8) ? rng.pick(INTERESTING_INT32) : (input.length + rng.range(-3, 3)) >>> 0
    new DataView(input.buffer, input.byteOffset, input.byteLength).setUint32(at, v >>> 0, false)
    return input
  },
  /** Set or clear a continuation bit, lengthening or cutting a varint. */
  corruptVarint(input, rng) {
    if (input.length === 0) return input
    input[rng.int(input.length)] ^= 0x80
    return input
  },
}

/** A mutator that corrupts the int32 length fields a target knows about (offsets from the input). */
export function corruptInt32At(offsetsOf: (input: Uint8Array) => number[]): Mutator {
  return (input, rng) => {
    const offsets = offsetsOf(input).filter((o) => o >= 0 && o + 4 <= input.length)
    if (offsets.length === 0) return input
    const at = rng.pick(offsets)
    const view = new DataView(input.buffer, input.byteOffset, input.byteLength)
    const old = view.getUint32(at, false)
    const v = rng.chance(0.6) ? rng.pick(INTERESTING_INT32) : (old + rng.range(-4, 4)) >>> 0
    view.setUint32(at, v, false)
    return input
  }
}

/** The input of one case, made from the run seed and the case number alone. */
export function makeInput(target: FuzzTarget, seed: number, caseNumber: number): {input: Uint8Array; rng: Rng} {
  const rng = new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(caseNumber + 1, 0x85ebca77)) >>> 0)
  const maxLen = target.maxLen ?? 2048
  if (target.seeds.length === 0 || rng.chance(target.randomShare ?? 0.2)) return {input: rng.bytes(rng.length(maxLen)), rng}
  const mutators = [...Object.values(MUTATORS), ...(target.mutators ?? [])]
  const ctx: MutateContext = {seeds: target.seeds, maxLen}
  let input: Uint8Array = new Uint8Array(rng.pick(target.seeds)) // a copy: mutators edit in place
  const rounds = rng.chance(0.02) ? 0 : rng.range(1, 4) // the bare seeds too, but rarely: they are all alike
  for (let i = 0; i < rounds; i++) {
    input = rng.pick(mutators)(input, rng, ctx)
    if (input.length > maxLen) input = input.subarray(0, maxLen)
  }
  return {input, rng}
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack === undefined ? '' : '\n' + e.stack.split('\n').slice(1, 4).join('\n')}`
  return String(e)
}

export function defaultSeed(): number {
  const env = Number(process.env.FUZZ_SEED)
  return Number.isInteger(env) ? env : 1
}

/** Run cases inputs through the target. Never throws: failures are in the report. */
export function runFuzz(target: FuzzTarget, opts: FuzzOptions): FuzzReport {
  const seed = opts.seed ?? defaultSeed()
  const maxFailures = opts.maxFailures ?? 5
  const budget = opts.memoryBudget ?? 64 * 1024 * 1024
  const every = opts.memoryEvery ?? 5000
  const failures: FuzzFailure[] = []
  let baseline = -1
  let maxGrowth = 0
  const started = performance.now()
  let n = 0
  for (; n < opts.cases && failures.length < maxFailures; n++) {
    const {input, rng} = makeInput(target, seed, n)
    try {
      target.run(input, rng)
    } catch (e) {
      failures.push({caseNumber: n, inputHex: Buffer.from(input).toString('hex'), error: describeError(e)})
    }
    if (n % every === every - 1 || n === 0) {
      const now = retainedBytes()
      // The first sample, after one case has loaded the code paths, is the baseline.
      if (baseline < 0) baseline = now
      else maxGrowth = Math.max(maxGrowth, now - baseline)
      if (now - baseline > budget) {
        failures.push({caseNumber: n, inputHex: '', error: `memory grew by ${((now - baseline) / 1048576).toFixed(1)} MiB over the baseline (budget ${budget / 1048576} MiB)`})
        break
      }
    }
  }
  const elapsedMs = performance.now() - started
  return {target: target.name, seed, cases: n, elapsedMs, casesPerSecond: n / (elapsedMs / 1000), failures, memory: {baseline, maxGrowth}}
}

/** A one-paragraph account of a report, for test messages and the fuzz script. */
export function formatReport(r: FuzzReport): string {
  const head = `${r.target}: ${r.cases} cases, seed ${r.seed}, ${Math.round(r.casesPerSecond)} cases/s, memory growth ${(r.memory.maxGrowth / 1048576).toFixed(1)} MiB`
  if (r.failures.length === 0) return head
  return [head, ...r.failures.map((f) => `  case ${f.caseNumber} (replay: makeInput(target, ${r.seed}, ${f.caseNumber})) input ${f.inputHex.slice(0, 400)}\n    ${f.error.replace(/\n/g, '\n    ')}`)].join('\n')
}
