import {describe, expect, it} from 'vitest'
import {decodeRaw, type RawField} from '../../decoders/protobuf-raw/index.js'
import {describeChunk} from '../../src/render/chunk-view.js'
import {TinyPbStreamDecoder, decodeFrame, encodeFrame, type StreamEvent, type TinyPbFrame} from '../../decoders/tinypb/index.js'
import {TcpBuffer} from '../../src/net/tcp-buffer.js'
import type {DecodeIssue} from '../../src/net/coder.js'
import {TinyPbCoder} from '../../src/net/tinypb-coder.js'
import {formatReport, makeInput, retainedBytes, runFuzz, type FuzzTarget} from './harness.js'
import {ALL_TARGETS, decodeFrameTarget, decodeRawTarget, describeChunkTarget, streamTarget} from './targets.js'

// Random and mutated bytes through every decoder: no exception escapes, no
// guarded loop runs away, memory stays bounded, and each target's invariants
// hold (see targets.ts). FUZZ_CASES and FUZZ_SEED override the size and seed;
// `npm run fuzz` runs the same targets at 1,000,000 cases.

const CASES = Number(process.env.FUZZ_CASES ?? 100_000)
// A generous limit, not a speed assertion: 100,000 cases take a few seconds,
// but the two cores are shared with the rest of the suite.
const LIMIT_MS = 300_000
const MiB = 1024 * 1024

describe('fuzz', () => {
  for (const target of ALL_TARGETS) {
    it(`${target.name}: ${CASES} random and mutated inputs`, {timeout: LIMIT_MS}, () => {
      const r = runFuzz(target, {cases: CASES})
      expect(r.failures, formatReport(r)).toEqual([])
      expect(r.cases).toBe(CASES)
    })
  }
})

/** The outcomes that the first n inputs of a target lead to. */
function outcomes(target: FuzzTarget, n: number, classify: (input: Buffer) => string[]): Set<string> {
  const seen = new Set<string>()
  for (let i = 0; i < n; i++) for (const o of classify(Buffer.from(makeInput(target, 1, i).input))) seen.add(o)
  return seen
}

describe('the fuzz inputs reach every outcome of each decoder', () => {
  // A fuzz that never reaches an error path proves nothing about it.
  it('decodeFrame: frames, incomplete, and every error code', () => {
    const seen = outcomes(decodeFrameTarget, 10_000, (x) => {
      const r = decodeFrame(x, 0, x.length)
      return [r.kind === 'error' ? `${r.code}${r.field === undefined ? '' : ':' + r.field}` : r.kind]
    })
    for (const o of ['frame', 'incomplete', 'BAD_START', 'BAD_END', 'PK_LEN_TOO_SMALL', 'PK_LEN_TOO_LARGE', 'FIELD_OVERRUN:msg_id', 'FIELD_OVERRUN:method_name', 'FIELD_OVERRUN:err_info', 'NEGATIVE_PB_LEN']) {
      expect(seen, o).toContain(o)
    }
  })

  it('TinyPbStreamDecoder: frames and every error code, TRUNCATED included', () => {
    const seen = outcomes(streamTarget, 3000, (x) => {
      const events: StreamEvent[] = []
      new TinyPbStreamDecoder().finish(x, 0, x.length, events)
      return events.map((e) => (e.kind === 'frame' ? 'frame' : e.code))
    })
    for (const o of ['frame', 'BAD_START', 'BAD_END', 'PK_LEN_TOO_SMALL', 'PK_LEN_TOO_LARGE', 'FIELD_OVERRUN', 'NEGATIVE_PB_LEN', 'TRUNCATED']) expect(seen, o).toContain(o)
  })

  it('decodeRaw: every value kind and every error code', () => {
    const kinds = (fields: readonly RawField[]): string[] => fields.flatMap((f) => [f.value.kind, ...('fields' in f.value ? kinds(f.value.fields) : [])])
    const seen = outcomes(decodeRawTarget, 20_000, (x) => {
      const r = decodeRaw(x)
      return [r.error?.code ?? 'ok', ...kinds(r.fields)]
    })
    const all = ['ok', 'varint', 'fixed32', 'fixed64', 'message', 'string', 'bytes', 'group']
    all.push('TRUNCATED_VARINT', 'VARINT_TOO_LONG', 'BAD_WIRE_TYPE', 'FIELD_NUMBER_ZERO', 'LENGTH_PAST_END', 'TRUNCATED_FIXED', 'UNEXPECTED_END_GROUP', 'END_GROUP_MISMATCH', 'UNTERMINATED_GROUP', 'GROUP_TOO_DEEP')
    for (const o of all) expect(seen, o).toContain(o)
  })

  it('describeChunk: text and binary', () => {
    const seen = outcomes(describeChunkTarget, 2000, (x) => [describeChunk(x).kind])
    expect([...seen].sort()).toEqual(['binary', 'text'])
  })
})

describe('a frame claiming pk_len 0x7fffffff', () => {
  const HEADER = Buffer.from('02 7fffffff'.replace(/ /g, ''), 'hex') // start byte, then pk_len = 2 GiB - 1
  const GOOD = encodeFrame({msgId: '20000000000000000001', methodName: 'Order.makeOrder', pbData: Buffer.from('086412056170706c65', 'hex')})

  it('is refused as PK_LEN_TOO_LARGE from its first 5 bytes, allocating nothing', () => {
    const before = retainedBytes()
    const r = decodeFrame(HEADER, 0, HEADER.length)
    expect(r).toMatchObject({kind: 'error', code: 'PK_LEN_TOO_LARGE', offset: 0, pkLen: 0x7fffffff})
    expect(retainedBytes() - before).toBeLessThan(4 * MiB)
  })

  it('is skipped by the stream decoder, which then finds the good frame behind it', () => {
    const before = retainedBytes()
    const d = new TinyPbStreamDecoder()
    const events: StreamEvent[] = []
    // The header alone: the decoder does not wait for 2 GiB.
    expect(d.decode(HEADER, 0, HEADER.length, events)).toBe(HEADER.length)
    expect(d.need).toBeLessThan(64)
    const rest = Buffer.concat([Buffer.alloc(1000, 0x41), GOOD])
    d.finish(rest, 0, rest.length, events)
    expect(events.map((e) => (e.kind === 'frame' ? 'frame' : `${e.code} skipped ${e.skipped}`))).toEqual(['PK_LEN_TOO_LARGE skipped 1005', 'frame'])
    expect(retainedBytes() - before).toBeLessThan(4 * MiB)
  })

  it('makes the real connection coder and TcpBuffer grow by nothing, 10,000 times over', () => {
    const input = new TcpBuffer()
    const coder = new TinyPbCoder()
    const out: Array<TinyPbFrame | DecodeIssue> = []
    const before = retainedBytes()
    for (let i = 0; i < 10_000; i++) {
      input.append(Buffer.concat([HEADER, Buffer.from([i & 0xff, 0x00, 0x00])]))
      coder.decode(input, out)
      if (out.length > 100) out.length = 0
    }
    input.append(GOOD)
    const last: Array<TinyPbFrame | DecodeIssue> = []
    coder.decode(input, last)
    expect(last.at(-1)).toMatchObject({kind: 'frame', pkLen: GOOD.length})
    expect(input.capacity).toBeLessThan(1 * MiB)
    expect(retainedBytes() - before).toBeLessThan(16 * MiB)
  })

  it('allocates nothing even when the maximum frame size is raised to 2 GiB: the decoder only waits', () => {
    const before = retainedBytes()
    const d = new TinyPbStreamDecoder({maxFrame: 0x7fffffff})
    const events: StreamEvent[] = []
    const bytes = Buffer.concat([HEADER, Buffer.from('00000014', 'hex')])
    expect(d.decode(bytes, 0, bytes.length, events)).toBe(0)
    expect(events).toEqual([])
    // Only the next length check is waited for (msg_id and the method_name_len after it), never pk_len bytes.
    expect(d.need).toBe(9 + 0x14 + 4 - bytes.length)
    const tail: StreamEvent[] = []
    d.finish(bytes, 0, bytes.length, tail)
    expect(tail[0]).toMatchObject({kind: 'error', code: 'TRUNCATED', pkLen: 0x7fffffff, offset: 0})
    expect(retainedBytes() - before).toBeLessThan(4 * MiB)
  })
})
