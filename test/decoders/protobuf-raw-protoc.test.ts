import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {decodeRaw, formatRaw} from '../../decoders/protobuf-raw/index.js'
import {TinyPbStreamDecoder, type StreamEvent, type TinyPbFrame} from '../../decoders/tinypb/index.js'
import {PROTOC_CASES} from '../fixtures/protobuf-raw/protoc-outputs.js'
import {genMessage} from '../fuzz/protobuf-gen.js'
import {Rng} from '../fuzz/rng.js'

// formatRaw must print what `protoc --decode_raw` prints. The committed
// fixtures hold protoc's real output, so this runs everywhere; where protoc is
// installed the same inputs (and a few hundred random ones) go through it too.

function bytesOf(hexSpec: string): Buffer {
  return Buffer.from(hexSpec.replace(/[\s|]+/g, ''), 'hex')
}

/** What rpcdiag prints for input, in protoc's terms: its stdout, or null where protoc fails. */
function ours(input: Uint8Array): string | null {
  const r = decodeRaw(input)
  return r.error === undefined ? formatRaw(r).map((l) => l + '\n').join('') : null
}

function protoc(input: Uint8Array): string | null {
  const p = spawnSync('protoc', ['--decode_raw'], {input})
  if (p.error !== undefined) throw p.error
  return p.status === 0 ? p.stdout.toString('latin1') : null
}

const protocVersion = ((): string | undefined => {
  const p = spawnSync('protoc', ['--version'], {encoding: 'utf8'})
  return p.status === 0 ? p.stdout.trim() : undefined
})()

describe('formatRaw against recorded protoc --decode_raw output', () => {
  for (const c of PROTOC_CASES) {
    it(c.name, () => {
      const input = bytesOf(c.hex)
      expect(ours(input)).toBe(c.output)
      // protoc's "Failed to parse input." is our typed error, never a throw.
      if (c.output === null) expect(decodeRaw(input).error?.code).toMatch(/^[A-Z_]+$/)
    })
  }
})

// Skipped when protoc is absent (the fixtures above still run): install it with
// `apt-get install -y protobuf-compiler` to run the live comparison.
describe.skipIf(protocVersion === undefined)(`formatRaw against a live protoc (${protocVersion ?? 'not installed'})`, () => {
  it('the recorded fixtures still match what protoc prints', () => {
    for (const c of PROTOC_CASES) expect(protoc(bytesOf(c.hex)), c.name).toBe(c.output)
  })

  it('matches protoc on every payload of the real 25-call rocket capture', () => {
    const pcap = readFileSync(new URL('../fixtures/pcap/rocket_fast_25calls_12346.pcap', import.meta.url))
    const events: StreamEvent[] = []
    new TinyPbStreamDecoder().finish(pcap, 0, pcap.length, events)
    const frames = events.filter((e): e is TinyPbFrame => e.kind === 'frame')
    expect(frames.length).toBe(50)
    for (const f of frames) expect(ours(f.pbData)).toBe(protoc(f.pbData))
  })

  it('matches protoc on 150 random messages, well-formed and corrupted (seeded)', () => {
    const rng = new Rng(20230514)
    let failed = 0
    for (let i = 0; i < 150; i++) {
      let input = Buffer.from(genMessage(rng, {overlong: rng.pick([0, 0.05, 0.3]), maxDepth: rng.pick([3, 12, 14]), maxFields: rng.pick([2, 4, 8])}))
      if (rng.chance(0.3) && input.length > 0) {
        const at = rng.int(input.length)
        if (rng.chance(0.3)) input = input.subarray(0, at)
        else input[at] ^= 1 << rng.int(8)
      }
      const theirs = protoc(input)
      if (theirs === null) failed++
      expect(ours(input), input.toString('hex')).toBe(theirs)
    }
    // Both outcomes were exercised.
    expect(failed).toBeGreaterThan(5)
    expect(failed).toBeLessThan(145)
  })
})
