import type {Rng} from './rng.js'

// Builders for protobuf wire bytes that look like real messages and like the
// odd corners of the encoding (overlong varints, groups, deep nesting), for the
// fuzz seeds and the differential test against protoc.

/** Varint bytes of a uint64, padded with `extra` redundant continuation bytes (non-canonical but legal to protoc). */
export function varint(value: bigint | number, extra = 0): number[] {
  let v = BigInt.asUintN(64, BigInt(value))
  const out: number[] = []
  do {
    const b = Number(v & 0x7fn)
    v >>= 7n
    out.push(v > 0n ? b | 0x80 : b)
  } while (v > 0n)
  for (let i = 0; i < extra; i++) {
    out[out.length - 1] |= 0x80
    out.push(0)
  }
  return out
}

export function tag(field: number, wire: number, extra = 0): number[] {
  return varint((BigInt(field) << 3n) | BigInt(wire), extra)
}

function fieldNumber(rng: Rng): number {
  if (rng.chance(0.85)) return rng.range(1, 20)
  return rng.pick([15, 16, 2047, 2048, 262143, 262144, 536870911, rng.range(1, 536870911)])
}

function varintValue(rng: Rng): bigint {
  switch (rng.int(6)) {
    case 0:
      return BigInt(rng.int(128))
    case 1:
      return BigInt(rng.int(1 << 16))
    case 2:
      return BigInt(rng.u32())
    case 3:
      return BigInt.asUintN(64, BigInt(-rng.range(1, 1000))) // a negative int32/int64: 10 bytes
    case 4:
      return (BigInt(rng.u32()) << 32n) | BigInt(rng.u32())
    default:
      return rng.pick([0n, 1n, 127n, 128n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0xffffffffffffffffn, 0x8000000000000000n])
  }
}

function text(rng: Rng): number[] {
  const pieces = ['apple', '20230514', 'Order.makeOrder', 'short balance', 'é', '日本', ' ', '\t', '\n', '"', "'", '\\', '\r', '\x00', '\x1b[31m', 'z']
  let s = ''
  const n = rng.length(12)
  for (let i = 0; i < n; i++) s += rng.pick(pieces)
  return [...Buffer.from(s, 'utf8')]
}

export interface GenOptions {
  /** Deepest nesting of messages and groups. */
  maxDepth: number
  /** Most fields per message. */
  maxFields: number
  /** Chance of a non-canonical (overlong) varint for tags and lengths. */
  overlong: number
}

const DEFAULTS: GenOptions = {maxDepth: 12, maxFields: 6, overlong: 0.05}

/** A random, well-formed protobuf message (as protoc's top-level parser would accept it, mostly). */
export function genMessage(rng: Rng, opts: Partial<GenOptions> = {}, depth = 0): number[] {
  const o = {...DEFAULTS, ...opts}
  const out: number[] = []
  const n = rng.range(depth === 0 ? 1 : 0, o.maxFields)
  const extra = (): number => (rng.chance(o.overlong) ? rng.range(1, 5) : 0)
  for (let i = 0; i < n; i++) {
    const f = fieldNumber(rng)
    const kind = rng.int(depth < o.maxDepth ? 7 : 5)
    switch (kind) {
      case 0:
        out.push(...tag(f, 0, extra()), ...varint(varintValue(rng), rng.chance(o.overlong) ? rng.range(1, 3) : 0))
        break
      case 1:
        out.push(...tag(f, 1, extra()), ...rng.bytes(8))
        break
      case 2:
        out.push(...tag(f, 5, extra()), ...rng.bytes(4))
        break
      case 3: {
        const body = text(rng)
        out.push(...tag(f, 2, extra()), ...varint(body.length, extra()), ...body)
        break
      }
      case 4: {
        const body = [...rng.bytes(rng.length(20))]
        out.push(...tag(f, 2, extra()), ...varint(body.length, extra()), ...body)
        break
      }
      case 5: {
        const body = genMessage(rng, o, depth + 1)
        out.push(...tag(f, 2, extra()), ...varint(body.length, extra()), ...body)
        break
      }
      default: {
        const body = genMessage(rng, {...o, maxFields: Math.max(1, o.maxFields - 1)}, depth + 1)
        out.push(...tag(f, 3, extra()), ...body, ...tag(f, 4, extra()))
      }
    }
  }
  return out
}

/** A message nested `depth` levels deep through field 1, around field 1 = 1. */
export function nestedMessages(depth: number): number[] {
  let body = [0x08, 0x01]
  for (let i = 0; i < depth; i++) body = [...tag(1, 2), ...varint(body.length), ...body]
  return body
}

/** `depth` groups of field 1 around field 1 = 1. */
export function nestedGroups(depth: number, inner: number[] = [0x08, 0x01]): number[] {
  return [...Array(depth).fill(0x0b), ...inner, ...Array(depth).fill(0x0c)]
}
