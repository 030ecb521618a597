import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {decodeRaw, formatRaw, rawToJson, type RawField, type RawValue} from '../../decoders/protobuf-raw/index.js'
import {TinyPbStreamDecoder, decodeFrame, type StreamEvent, type TinyPbFrame} from '../../decoders/tinypb/index.js'
import {nestedGroups, nestedMessages} from '../fuzz/protobuf-gen.js'

function hex(annotated: string): Buffer {
  return Buffer.from(annotated.replace(/#.*$/gm, '').replace(/[\s|]+/g, ''), 'hex')
}

/** A field's value without the views, for toEqual. */
function shape(f: RawField): unknown {
  const v: RawValue = f.value
  switch (v.kind) {
    case 'varint':
      return [f.field, v.uint]
    case 'fixed32':
    case 'fixed64':
      return [f.field, v.kind, v.uint]
    case 'string':
      return [f.field, v.text]
    case 'bytes':
      return [f.field, Buffer.from(v.bytes).toString('hex')]
    case 'message':
    case 'group':
      return [f.field, v.kind, v.fields.map(shape)]
  }
}

// The real frames of TINYPB.md, captured from the rocket server.
const MAKE_ORDER_REQUEST = hex(`
  02 00000046 00000014 3230303030303030303030303030303030303031
  0000000f 4f726465722e6d616b654f72646572 00000000 00000000
  086412056170706c65 00000001 03`)
const MAKE_ORDER_REPLY = hex(`
  02 00000047 00000014 3230303030303030303030303030303030303031
  0000000f 4f726465722e6d616b654f72646572 00000000 00000000
  1a083230323330353134 00000001 03`)

function frameOf(bytes: Buffer): TinyPbFrame {
  const r = decodeFrame(bytes, 0, bytes.length)
  if (r.kind !== 'frame') throw new Error(`fixture is not a frame: ${r.kind}`)
  return r.frame
}

describe('decodeRaw on real payloads', () => {
  it('decodes the makeOrder request of TINYPB.md: price 100, goods "apple"', () => {
    const r = decodeRaw(frameOf(MAKE_ORDER_REQUEST).pbData)
    expect(r.error).toBeUndefined()
    expect(r.fields.map(shape)).toEqual([
      [1, 100n],
      [2, 'apple'],
    ])
    expect(r.fields.map((f) => [f.wireType, f.offset, f.length])).toEqual([
      [0, 0, 2],
      [2, 2, 7],
    ])
    expect(formatRaw(r)).toEqual(['1: 100', '2: "apple"'])
  })

  it('decodes the makeOrder reply of TINYPB.md: order_id "20230514" is a string, not a message', () => {
    const r = decodeRaw(frameOf(MAKE_ORDER_REPLY).pbData)
    expect(r.error).toBeUndefined()
    expect(r.fields.map(shape)).toEqual([[3, '20230514']])
    expect(formatRaw(r)).toEqual(['3: "20230514"'])
  })

  it('decodes every payload of the real 25-call rocket capture', () => {
    // TinyPB frames are found in the raw pcap file itself: the stream decoder
    // resyncs over the pcap and packet headers the way the C++ servers skip garbage.
    const pcap = readFileSync(new URL('../fixtures/pcap/rocket_fast_25calls_12346.pcap', import.meta.url))
    const events: StreamEvent[] = []
    new TinyPbStreamDecoder().finish(pcap, 0, pcap.length, events)
    const frames = events.filter((e): e is TinyPbFrame => e.kind === 'frame')
    expect(frames).toHaveLength(50)
    const requests = frames.filter((_, i) => i % 2 === 0).map((f) => formatRaw(decodeRaw(f.pbData)))
    const replies = frames.filter((_, i) => i % 2 === 1).map((f) => formatRaw(decodeRaw(f.pbData)))
    // rocket's test client sends price 10 + 7i and goods "goods<i>".
    expect(requests).toEqual(Array.from({length: 25}, (_, i) => [`1: ${17 + 7 * i}`, `2: "goods${i + 1}"`]))
    expect(new Set(replies.map((l) => l.join('\n')))).toEqual(new Set(['3: "20230514"']))
  })

  it("reads a business error reply: ret_code -1 is a 10-byte varint with int -1", () => {
    const r = decodeRaw(hex('08 ffffffffffffffffff01 | 12 0d 73686f72742062616c616e6365'))
    const v = r.fields[0].value
    expect(v).toMatchObject({kind: 'varint', uint: 0xffffffffffffffffn, int: -1n, sint: -0x8000000000000000n})
    expect(r.fields[0].length).toBe(11)
    expect(shape(r.fields[1])).toEqual([2, 'short balance'])
  })
})

describe('decodeRaw readings', () => {
  it('gives varints as exact 64-bit values with int and zigzag readings', () => {
    const r = decodeRaw(hex('08 01 | 10 02 | 18 96 01 | 20 80 80 80 80 08 | 28 fe ff ff ff ff ff ff ff ff 01'))
    const v = r.fields.map((f) => f.value)
    expect(v[0]).toEqual({kind: 'varint', uint: 1n, int: 1n, sint: -1n})
    expect(v[1]).toEqual({kind: 'varint', uint: 2n, int: 2n, sint: 1n})
    expect(v[2]).toEqual({kind: 'varint', uint: 150n, int: 150n, sint: 75n})
    expect(v[3]).toEqual({kind: 'varint', uint: 0x80000000n, int: 0x80000000n, sint: 0x40000000n})
    expect(v[4]).toEqual({kind: 'varint', uint: 0xfffffffffffffffen, int: -2n, sint: 0x7fffffffffffffffn})
  })

  it('gives fixed32 and fixed64 as uint, int and float readings, little-endian', () => {
    const r = decodeRaw(hex('0d 0000803f | 15 ffffffff | 19 000000000000f0bf | 21 ffffffffffffffff'))
    expect(r.fields.map((f) => f.value)).toEqual([
      {kind: 'fixed32', uint: 0x3f800000, int: 0x3f800000, float: 1},
      {kind: 'fixed32', uint: 0xffffffff, int: -1, float: NaN},
      {kind: 'fixed64', uint: 0xbff0000000000000n, int: -0x4010000000000000n, double: -1},
      {kind: 'fixed64', uint: 0xffffffffffffffffn, int: -1n, double: NaN},
    ])
  })

  it('guesses length-delimited payloads: message, printable string, bytes', () => {
    const r = decodeRaw(hex(`
      0a 02 0801          # parses as a message: 1 { 1: 1 }
      12 0b 68656c6c6f0a09c3a9210d  # "hello\\n\\té!\\r": printable UTF-8
      1a 02 1b5b          # ESC [: valid UTF-8 but a terminal control, so bytes
      22 02 c328          # invalid UTF-8: bytes
      2a 00               # empty: a string, never a message
    `))
    expect(r.error).toBeUndefined()
    expect(r.fields.map((f) => f.value.kind)).toEqual(['message', 'string', 'bytes', 'bytes', 'string'])
    expect(shape(r.fields[1])).toEqual([2, 'hello\n\té!\r'])
  })

  it('returns views of the input, never copies, with offsets into the input', () => {
    const backing = hex('ffff | 0a 04 12 02 6f6b | ffff') // "ok": 0x6f is wire type 7, so a string
    const input = backing.subarray(2, 8)
    const r = decodeRaw(input)
    const msg = r.fields[0].value
    if (msg.kind !== 'message') throw new Error('expected a message')
    expect(msg.bytes.buffer).toBe(backing.buffer)
    expect(msg.bytes.byteOffset).toBe(backing.byteOffset + 4)
    const inner = msg.fields[0]
    expect([inner.offset, inner.length]).toEqual([2, 4])
    expect(inner.value.kind === 'string' && inner.value.bytes.buffer).toBe(backing.buffer)
  })

  it('decodes groups and nests them', () => {
    const r = decodeRaw(hex('0b 08 01 13 14 0c | 20 05'))
    expect(r.error).toBeUndefined()
    expect(r.fields.map(shape)).toEqual([
      [1, 'group', [[1, 1n], [2, 'group', []]]],
      [4, 5n],
    ])
    expect(r.fields[0].length).toBe(6)
  })

  it('stops guessing nested messages at maxDepth, as protoc does at 10', () => {
    const depthOf = (fields: readonly RawField[]): number => {
      const v = fields[0].value
      return v.kind === 'message' ? 1 + depthOf(v.fields) : 0
    }
    expect(depthOf(decodeRaw(Buffer.from(nestedMessages(10))).fields)).toBe(10)
    expect(depthOf(decodeRaw(Buffer.from(nestedMessages(11))).fields)).toBe(10)
    expect(depthOf(decodeRaw(Buffer.from(nestedMessages(30)), {maxDepth: 40}).fields)).toBe(30)
    const flat = decodeRaw(Buffer.from(nestedMessages(3)), {maxDepth: 0})
    expect(flat.fields[0].value.kind).toBe('bytes')
  })

  it('accepts 100 nested groups and refuses 101 with GROUP_TOO_DEEP', () => {
    expect(decodeRaw(Buffer.from(nestedGroups(100))).error).toBeUndefined()
    expect(decodeRaw(Buffer.from(nestedGroups(101))).error).toMatchObject({code: 'GROUP_TOO_DEEP', offset: 100, field: 1})
  })
})

describe('decodeRaw on bad input: partial fields plus a typed error, never a throw', () => {
  const cases: Array<[string, string, string, number, number]> = [
    // [what, hex, code, offset, fields decoded before it]
    ['truncated varint value', '08 01 | 10 80', 'TRUNCATED_VARINT', 2, 1],
    ['truncated tag', '08 01 | 80', 'TRUNCATED_VARINT', 2, 1],
    ['11-byte varint', '08 8080808080808080808000', 'VARINT_TOO_LONG', 0, 0],
    ['6-byte tag', '888080808000 01', 'VARINT_TOO_LONG', 0, 0],
    ['wire type 6', '08 01 | 0e', 'BAD_WIRE_TYPE', 2, 1],
    ['wire type 7', '0f', 'BAD_WIRE_TYPE', 0, 0],
    ['field number 0', '08 01 | 00', 'FIELD_NUMBER_ZERO', 2, 1],
    ['field number 0 with wire type 2', '02 00', 'FIELD_NUMBER_ZERO', 0, 0],
    ['length past the end', '08 01 | 12 05 616263', 'LENGTH_PAST_END', 2, 1],
    ['length one byte past the end', '12 04 616263', 'LENGTH_PAST_END', 0, 0],
    ['length past the end of a group', '0b 12 03 6162', 'LENGTH_PAST_END', 1, 1],
    ['length of 2 GiB or more', '12 8180808010 41', 'LENGTH_PAST_END', 0, 0],
    ['truncated fixed64', '09 01020304', 'TRUNCATED_FIXED', 0, 0],
    ['truncated fixed32', '08 01 | 0d 0102', 'TRUNCATED_FIXED', 2, 1],
    ['END_GROUP outside a group', '0c', 'UNEXPECTED_END_GROUP', 0, 0],
    ['END_GROUP for another field', '0b 08 01 14', 'END_GROUP_MISMATCH', 3, 1],
    ['group never closed', '08 07 | 0b 08 01', 'UNTERMINATED_GROUP', 2, 2],
  ]
  for (const [what, h, code, offset, count] of cases) {
    it(`${what}: ${code} at ${offset}`, () => {
      const r = decodeRaw(hex(h))
      expect(r.error?.code).toBe(code)
      expect(r.error?.offset).toBe(offset)
      expect(r.fields).toHaveLength(count)
      expect(typeof r.error?.message).toBe('string')
    })
  }

  it('keeps the fields of a group that breaks, so the partial result shows where', () => {
    const r = decodeRaw(hex('0b 08 01 10 80'))
    expect(r.error).toMatchObject({code: 'TRUNCATED_VARINT', offset: 3, field: 2, wireType: 0})
    expect(r.fields.map(shape)).toEqual([[1, 'group', [[1, 1n]]]])
  })

  it('treats a payload that fails to parse as a message as a string or bytes, not as an error', () => {
    const r = decodeRaw(hex('0a 03 | 12 81 00'))
    expect(r.error).toBeUndefined()
    expect(r.fields[0].value.kind).toBe('bytes')
  })

  it('decodes empty input as an empty message', () => {
    expect(decodeRaw(new Uint8Array(0))).toEqual({fields: []})
  })
})

describe('rawToJson', () => {
  it('gives a JSON-safe shape: 64-bit values as decimal strings, bytes as hex, non-finite floats as strings', () => {
    const r = decodeRaw(hex('08 ffffffffffffffffff01 | 12 05 6170706c65 | 1a 02 ff00 | 25 0000c07f | 0a 02 1001 | 0b 0c'))
    const json = rawToJson(r)
    expect(JSON.parse(JSON.stringify(json))).toEqual(json)
    expect(json.fields).toEqual([
      {field: 1, wireType: 0, offset: 0, length: 11, type: 'varint', uint: '18446744073709551615', int: '-1', sint: '-9223372036854775808'},
      {field: 2, wireType: 2, offset: 11, length: 7, type: 'string', text: 'apple'},
      {field: 3, wireType: 2, offset: 18, length: 4, type: 'bytes', hex: 'ff00'},
      {field: 4, wireType: 5, offset: 22, length: 5, type: 'fixed32', hex: '0x7fc00000', uint: 0x7fc00000, int: 0x7fc00000, float: 'NaN'},
      {field: 1, wireType: 2, offset: 27, length: 4, type: 'message', fields: [{field: 2, wireType: 0, offset: 29, length: 2, type: 'varint', uint: '1', int: '1', sint: '-1'}]},
      {field: 1, wireType: 3, offset: 31, length: 2, type: 'group', fields: []},
    ])
    expect(json.error).toBeUndefined()
  })

  it('carries the error', () => {
    const json = rawToJson(decodeRaw(hex('08 01 | 12 09 41')))
    expect(json.fields).toHaveLength(1)
    expect(json.error).toMatchObject({code: 'LENGTH_PAST_END', offset: 2, field: 2, wireType: 2})
    expect(() => JSON.stringify(json)).not.toThrow()
  })
})
