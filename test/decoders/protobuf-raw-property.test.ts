import fc from 'fast-check'
import Long from 'long'
import protobuf from 'protobufjs'
import {describe, expect, it} from 'vitest'
import {decodeRaw, formatRaw, rawToJson, type RawField} from '../../decoders/protobuf-raw/index.js'

// Messages encoded by a real protobuf implementation (protobufjs) must come
// back from decodeRaw with the same field numbers and values, read the way
// each field's type says.

const MAX_FIELD = 536870911

const inner = new protobuf.Type('Inner').add(new protobuf.Field('n', 1, 'int32')).add(new protobuf.Field('s', 2, 'string'))
const schema = new protobuf.Type('All')
  .add(new protobuf.Field('i32', 1, 'int32'))
  .add(new protobuf.Field('i64', 2, 'int64'))
  .add(new protobuf.Field('u64', 3, 'uint64'))
  .add(new protobuf.Field('s32', 4, 'sint32'))
  .add(new protobuf.Field('s64', 5, 'sint64'))
  .add(new protobuf.Field('b', 6, 'bool'))
  .add(new protobuf.Field('f32', 7, 'fixed32'))
  .add(new protobuf.Field('f64', 8, 'fixed64'))
  .add(new protobuf.Field('sf32', 9, 'sfixed32'))
  .add(new protobuf.Field('sf64', 10, 'sfixed64'))
  .add(new protobuf.Field('fl', 11, 'float'))
  .add(new protobuf.Field('db', 12, 'double'))
  .add(new protobuf.Field('str', 13, 'string'))
  .add(new protobuf.Field('byt', 14, 'bytes'))
  .add(new protobuf.Field('msg', 15, 'Inner'))
  .add(new protobuf.Field('packed', 16, 'int32', 'repeated', undefined, {packed: true}))
  .add(new protobuf.Field('far', MAX_FIELD, 'uint32'))
new protobuf.Root().add(inner).add(schema)

const long = (v: bigint, unsigned: boolean): Long => Long.fromString(v.toString(), unsigned)
const int64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n)
const uint64 = fc.bigInt(0n, 2n ** 64n - 1n)

const message = fc.record(
  {
    i32: fc.integer(),
    i64: int64,
    u64: uint64,
    s32: fc.integer(),
    s64: int64,
    b: fc.boolean(),
    f32: fc.nat(0xffffffff),
    f64: uint64,
    sf32: fc.integer(),
    sf64: int64,
    fl: fc.float({noNaN: true}),
    db: fc.double({noNaN: true}),
    str: fc.string({unit: 'grapheme', maxLength: 30}),
    byt: fc.uint8Array({maxLength: 30}),
    msg: fc.record({n: fc.integer(), s: fc.string({maxLength: 10})}, {requiredKeys: []}),
    packed: fc.array(fc.integer(), {minLength: 1, maxLength: 8}),
    far: fc.nat(0xffffffff),
  },
  {requiredKeys: []},
)

type Msg = typeof message extends fc.Arbitrary<infer T> ? T : never

function encode(m: Msg): Uint8Array {
  const obj: Record<string, unknown> = {...m}
  for (const k of ['i64', 's64', 'sf64'] as const) if (m[k] !== undefined) obj[k] = long(m[k], false)
  for (const k of ['u64', 'f64'] as const) if (m[k] !== undefined) obj[k] = long(m[k], true)
  return schema.encode(schema.fromObject(obj)).finish()
}

function byNumber(fields: readonly RawField[]): Map<number, RawField> {
  const map = new Map<number, RawField>()
  for (const f of fields) map.set(f.field, f)
  return map
}

/** The reading each declared type takes from the raw value. */
function reading(f: RawField | undefined, how: string): unknown {
  const v = f?.value
  if (v === undefined) return undefined
  switch (v.kind) {
    case 'varint':
      return how === 'uint' ? v.uint : how === 'sint' ? v.sint : v.int
    case 'fixed32':
      return how === 'float' ? v.float : how === 'int' ? v.int : v.uint
    case 'fixed64':
      return how === 'double' ? v.double : how === 'int' ? v.int : v.uint
    case 'message':
    case 'string':
    case 'bytes':
      return Buffer.from(v.bytes)
    case 'group':
      return v.fields
  }
}

function varints(values: number[]): Buffer {
  const w = protobuf.Writer.create()
  for (const x of values) w.int32(x)
  return Buffer.from(w.finish())
}

describe('decodeRaw on messages encoded by protobufjs (property)', () => {
  it('finds every field with its number and value', () => {
    fc.assert(
      fc.property(message, (m) => {
        const r = decodeRaw(encode(m))
        expect(r.error).toBeUndefined()
        const f = byNumber(r.fields)
        const want = new Map<number, unknown>()
        if (m.i32 !== undefined) want.set(1, [reading(f.get(1), 'int'), BigInt(m.i32)])
        if (m.i64 !== undefined) want.set(2, [reading(f.get(2), 'int'), m.i64])
        if (m.u64 !== undefined) want.set(3, [reading(f.get(3), 'uint'), m.u64])
        if (m.s32 !== undefined) want.set(4, [reading(f.get(4), 'sint'), BigInt(m.s32)])
        if (m.s64 !== undefined) want.set(5, [reading(f.get(5), 'sint'), m.s64])
        if (m.b !== undefined) want.set(6, [reading(f.get(6), 'uint'), m.b ? 1n : 0n])
        if (m.f32 !== undefined) want.set(7, [reading(f.get(7), 'uint'), m.f32])
        if (m.f64 !== undefined) want.set(8, [reading(f.get(8), 'uint'), m.f64])
        if (m.sf32 !== undefined) want.set(9, [reading(f.get(9), 'int'), m.sf32])
        if (m.sf64 !== undefined) want.set(10, [reading(f.get(10), 'int'), m.sf64])
        if (m.fl !== undefined) want.set(11, [reading(f.get(11), 'float'), Math.fround(m.fl)])
        if (m.db !== undefined) want.set(12, [reading(f.get(12), 'double'), m.db])
        if (m.str !== undefined) want.set(13, [reading(f.get(13), 'bytes'), Buffer.from(m.str, 'utf8')])
        if (m.byt !== undefined) want.set(14, [reading(f.get(14), 'bytes'), Buffer.from(m.byt)])
        if (m.packed !== undefined) want.set(16, [reading(f.get(16), 'bytes'), varints(m.packed)])
        if (m.far !== undefined) want.set(MAX_FIELD, [reading(f.get(MAX_FIELD), 'uint'), BigInt(m.far)])
        for (const [n, [got, expected]] of want as Map<number, [unknown, unknown]>) expect(got, `field ${n}`).toEqual(expected)
        if (m.msg !== undefined) {
          const nested = f.get(15)!.value
          const innerBytes = inner.encode(inner.fromObject(m.msg)).finish()
          // A non-empty sub-message is always shown as one; an empty one is an empty string, as in protoc.
          expect(nested.kind).toBe(innerBytes.length === 0 ? 'string' : 'message')
          if (nested.kind === 'message') {
            const g = byNumber(nested.fields)
            if (m.msg.n !== undefined) expect(reading(g.get(1), 'int')).toBe(BigInt(m.msg.n))
            if (m.msg.s !== undefined) expect(reading(g.get(2), 'bytes')).toEqual(Buffer.from(m.msg.s, 'utf8'))
          }
        }
        const expectedCount = Object.values(m).filter((x) => x !== undefined).length
        expect(r.fields).toHaveLength(expectedCount)
      }),
      {numRuns: 300},
    )
  })

  it('a printable string field is shown as that string unless its bytes also parse as a message', () => {
    fc.assert(
      fc.property(fc.string({unit: fc.constantFrom('a', 'b', 'z', ' ', '.', '日', 'é', '-', '0'), minLength: 1, maxLength: 20}), (s) => {
        const r = decodeRaw(encode({str: s}))
        const v = r.fields[0].value
        if (v.kind === 'string') expect(v.text).toBe(s)
        else expect(v.kind).toBe('message')
      }),
    )
  })
})

/** A wire-level field list, written with protobufjs's Writer and read back by decodeRaw. */
type WireField =
  | {field: number; wire: 0; value: bigint}
  | {field: number; wire: 1; value: bigint}
  | {field: number; wire: 5; value: number}
  | {field: number; wire: 2; value: Uint8Array}
  | {field: number; wire: 3; value: WireField[]}

const fieldNo = fc.oneof(fc.integer({min: 1, max: 20}), fc.integer({min: 1, max: MAX_FIELD}))
const wireFields: fc.Arbitrary<WireField[]> = fc.letrec<{list: WireField[]; one: WireField}>((tie) => ({
  list: fc.array(tie('one'), {maxLength: 5}),
  one: fc.oneof(
    {depthSize: 'small', withCrossShrink: true},
    fc.record({field: fieldNo, wire: fc.constant(0 as const), value: uint64}),
    fc.record({field: fieldNo, wire: fc.constant(1 as const), value: uint64}),
    fc.record({field: fieldNo, wire: fc.constant(5 as const), value: fc.nat(0xffffffff)}),
    fc.record({field: fieldNo, wire: fc.constant(2 as const), value: fc.uint8Array({maxLength: 12})}),
    fc.record({field: fieldNo, wire: fc.constant(3 as const), value: tie('list')}),
  ),
})).list

function write(fields: WireField[], w = protobuf.Writer.create()): protobuf.Writer {
  for (const f of fields) {
    w.uint32(((f.field << 3) | f.wire) >>> 0)
    if (f.wire === 0) w.uint64(long(f.value, true))
    else if (f.wire === 1) w.fixed64(long(f.value, true))
    else if (f.wire === 5) w.fixed32(f.value)
    else if (f.wire === 2) w.bytes(f.value)
    else {
      write(f.value, w)
      w.uint32(((f.field << 3) | 4) >>> 0)
    }
  }
  return w
}

function asWire(fields: readonly RawField[]): WireField[] {
  return fields.map((f): WireField => {
    const v = f.value
    switch (v.kind) {
      case 'varint':
        return {field: f.field, wire: 0, value: v.uint}
      case 'fixed64':
        return {field: f.field, wire: 1, value: v.uint}
      case 'fixed32':
        return {field: f.field, wire: 5, value: v.uint}
      case 'group':
        return {field: f.field, wire: 3, value: asWire(v.fields)}
      default:
        return {field: f.field, wire: 2, value: new Uint8Array(v.bytes)}
    }
  })
}

/** Top-level fields sit end to end from 0: every byte belongs to exactly one field. */
function expectTiled(fields: readonly RawField[], start: number): number {
  let at = start
  for (const f of fields) {
    expect(f.offset).toBe(at)
    expect(f.length).toBeGreaterThan(0)
    at += f.length
  }
  return at
}

describe('decodeRaw at the wire level (property)', () => {
  it('reads back any field list written by protobufjs, groups included', () => {
    fc.assert(
      fc.property(wireFields, (fields) => {
        const bytes = write(fields).finish()
        const r = decodeRaw(bytes)
        expect(r.error).toBeUndefined()
        expect(asWire(r.fields)).toEqual(fields.map(function norm(f): WireField {
          return f.wire === 3 ? {...f, value: f.value.map(norm)} : f.wire === 2 ? {...f, value: new Uint8Array(f.value)} : f
        }))
        expect(expectTiled(r.fields, 0)).toBe(bytes.length)
      }),
      {numRuns: 300},
    )
  })

  it('never throws on any bytes; fields tile the input up to the error; formatRaw and rawToJson always work', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({maxLength: 64}), wireFields.map((f) => write(f).finish()).chain((b) => fc.tuple(fc.constant(b), fc.nat(b.length), fc.nat(255)).map(([x, at, byte]) => {
        const y = new Uint8Array(x)
        if (at < y.length) y[at] = byte
        return y
      }))), (bytes) => {
        const r = decodeRaw(bytes)
        const end = expectTiled(r.fields, 0)
        if (r.error === undefined) expect(end).toBe(bytes.length)
        else {
          expect(end).toBeLessThanOrEqual(bytes.length)
          expect(r.error.offset).toBeGreaterThanOrEqual(0)
          expect(r.error.offset).toBeLessThanOrEqual(bytes.length)
        }
        expect(Array.isArray(formatRaw(r))).toBe(true)
        const json = JSON.stringify(rawToJson(r))
        expect(JSON.parse(json).fields).toHaveLength(r.fields.length)
      }),
      {numRuns: 500},
    )
  })
})
