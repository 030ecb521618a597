import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {decodeFrame, encodeFrame, type StreamEvent, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {type DecodeIssue, TcpBuffer, TinyPbCoder} from '../../src/net/index.js'
import {MAKE_ORDER_REPLY, MAKE_ORDER_REQUEST} from '../fixtures/tinypb-frames.js'

/** A comparable summary of decoder output: frames by content, errors by code, offset and skipped bytes. */
function summary(events: ReadonlyArray<StreamEvent | DecodeIssue>): string[] {
  return events.map((e) =>
    e.kind === 'frame' ? `frame ${e.msgId} ${e.methodName} ${e.errCode} ${e.errInfo} ${e.pbData.toString('hex')} ${e.checksum}` : `error ${e.code} @${e.offset} skip ${e.skipped}`,
  )
}

/** Feed chunks through the real connection path (TcpBuffer + TinyPbCoder), then finish. */
function feed(chunks: Uint8Array[]): string[] {
  const coder = new TinyPbCoder()
  const input = new TcpBuffer(64)
  const out: Array<StreamEvent | DecodeIssue> = []
  const seen: string[] = []
  for (const c of chunks) {
    input.append(c)
    coder.decode(input, out)
    // Summarise now: later appends must not change what earlier frames show.
    seen.push(...summary(out))
    out.length = 0
  }
  coder.finish(input, out)
  seen.push(...summary(out))
  return seen
}

function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const parts: Buffer[] = []
  let prev = 0
  for (const c of [...cuts].sort((a, b) => a - b)) {
    parts.push(bytes.subarray(prev, c))
    prev = c
  }
  parts.push(bytes.subarray(prev))
  return parts.map((p) => Buffer.from(p)) // own memory per chunk, as sockets deliver
}

const badEnd = Buffer.from(MAKE_ORDER_REQUEST)
badEnd[badEnd.length - 1] = 0x00

// Garbage, good frames, a frame with a bad end byte, a stray start byte, and a frame cut off at the end.
const STREAM = Buffer.concat([
  Buffer.from('junk\x00\x01'),
  MAKE_ORDER_REQUEST,
  MAKE_ORDER_REPLY,
  badEnd,
  Buffer.from([0x02, 0x00, 0x00]),
  MAKE_ORDER_REPLY,
  MAKE_ORDER_REQUEST.subarray(0, 30),
])

describe('split at every byte', () => {
  const whole = feed([STREAM])

  it('the whole stream decodes to the expected events', () => {
    expect(whole.map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual([
      'error BAD_START',
      'frame 20000000000000000001',
      'frame 20000000000000000001',
      'error BAD_END',
      // The stray 02 00 00 reads pk_len 512 from the next frame's header, then a method_name_len past it.
      'error FIELD_OVERRUN',
      'frame 20000000000000000001',
      'error TRUNCATED',
    ])
  })

  it('gives the same events for every single split point', () => {
    for (let i = 0; i <= STREAM.length; i++) expect(feed(splitAt(STREAM, [i])), `split at ${i}`).toEqual(whole)
  })

  it('gives the same events for every pair of split points', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      for (let j = i; j <= STREAM.length; j++) {
        const got = feed(splitAt(STREAM, [i, j]))
        if (got.join('\n') !== whole.join('\n')) expect(got, `split at ${i},${j}`).toEqual(whole)
      }
    }
  })

  it('gives the same events fed one byte at a time', () => {
    expect(feed(splitAt(STREAM, Array.from({length: STREAM.length}, (_, i) => i)))).toEqual(whole)
  })

  it('every frame of the real fixtures, split anywhere, decodes the same', () => {
    for (const frame of [MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY]) {
      const expected = feed([frame])
      expect(expected).toHaveLength(1)
      for (let i = 0; i <= frame.length; i++) expect(feed(splitAt(frame, [i]))).toEqual(expected)
    }
  })
})

const message: fc.Arbitrary<TinyPbMessage> = fc.record({
  msgId: fc.string({maxLength: 30}),
  methodName: fc.string({maxLength: 40}),
  errCode: fc.integer({min: -0x80000000, max: 0x7fffffff}),
  errInfo: fc.string({maxLength: 40, unit: 'grapheme'}),
  pbData: fc.uint8Array({maxLength: 300}).map((a) => Buffer.from(a)),
  checksum: fc.integer({min: -0x80000000, max: 0x7fffffff}),
})

describe('properties', () => {
  it('decode(encode(m)) == m for any message', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeFrame(m)
        const r = decodeFrame(bytes, 0, bytes.length)
        expect(r.kind).toBe('frame')
        if (r.kind !== 'frame') return
        expect(r.next).toBe(bytes.length)
        const f = r.frame
        expect([f.msgId, f.methodName, f.errCode, f.errInfo, f.checksum]).toEqual([m.msgId, m.methodName, m.errCode, m.errInfo, m.checksum])
        expect(Buffer.compare(f.pbData, m.pbData!)).toBe(0)
      }),
      {numRuns: 2000},
    )
  })

  it('encode(decode(bytes)) == bytes for any encoded frame', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeFrame(m)
        const r = decodeFrame(bytes, 0, bytes.length)
        if (r.kind !== 'frame') throw new Error(r.kind)
        expect(encodeFrame(r.frame.toMessage()).equals(bytes)).toBe(true)
      }),
      {numRuns: 2000},
    )
  })

  it('any stream of frames and garbage decodes the same however it is chunked', () => {
    const piece = fc.oneof(
      message.map((m) => encodeFrame(m)),
      fc.uint8Array({minLength: 1, maxLength: 40}).map((a) => Buffer.from(a)),
    )
    fc.assert(
      fc.property(fc.array(piece, {maxLength: 8}), fc.array(fc.nat(), {maxLength: 10}), (pieces, cutSeeds) => {
        const stream = Buffer.concat(pieces)
        const cuts = cutSeeds.map((c) => (stream.length === 0 ? 0 : c % (stream.length + 1)))
        expect(feed(splitAt(stream, cuts))).toEqual(feed([stream]))
      }),
      {numRuns: 1000},
    )
  })

  it('frames surrounded by garbage without start bytes are all found', () => {
    const noStx = fc.uint8Array({maxLength: 30}).map((a) => Buffer.from(a.filter((b) => b !== 0x02)))
    fc.assert(
      fc.property(fc.array(fc.tuple(noStx, message), {maxLength: 6}), (pairs) => {
        const stream = Buffer.concat(pairs.flatMap(([g, m]) => [g, encodeFrame(m)]))
        const frames = feed([stream]).filter((s) => s.startsWith('frame'))
        expect(frames).toHaveLength(pairs.length)
      }),
      {numRuns: 500},
    )
  })
})
