import {printableText} from '../string/printable.js'
import {
  WIRE_END_GROUP,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_START_GROUP,
  WIRE_VARINT,
  type RawDecodeError,
  type RawDecodeOptions,
  type RawDecodeResult,
  type RawErrorCode,
  type RawField,
  type RawValue,
  type WireType,
} from './types.js'

// A schema-less protobuf decoder that draws the same lines as protoc 3.21's
// --decode_raw, which uses two different parsers:
// - the top-level input goes through the message parser (ParseContext): a tag
//   takes at most 5 bytes, a length at most 5 bytes and less than 2 GiB, and
//   groups nest at most 100 deep;
// - a length-delimited payload is shown as a nested message when it is not
//   empty, fewer than 10 levels are open, and it parses completely as an
//   UnknownFieldSet (CodedInputStream): there a tag or a length may take up to
//   10 bytes and is cut to 32 bits, and groups nest at most as deep as the
//   levels still left. Otherwise it is a string (printable UTF-8) or bytes.
// Every length is checked against the bytes that remain before it is used;
// values are views of the input.

/** protoc's kUnknownFieldRecursionLimit: levels of length-delimited fields tried as messages. */
export const PROTOC_MAX_DEPTH = 10
/** protoc's default recursion limit, the deepest group nesting of the top-level parse. */
export const PROTOC_GROUP_LIMIT = 100

const VARINT_MAX = 10 // bytes of a 64-bit varint
const VARINT32_STRICT_MAX = 5 // tag and length in ParseContext
const SIZE_LIMIT_5TH_BYTE = 8 // ParseContext rejects a length whose 5th byte makes it >= 2 GiB

/** Mutable parse state shared by one level and the levels it opens. */
interface Ctx {
  readonly bytes: Uint8Array
  readonly view: DataView
  /** ParseContext rules (top level) or CodedInputStream rules (a nested attempt). */
  readonly strict: boolean
  readonly groupLimit: number
  // Last varint read, as two uint32 halves.
  lo: number
  hi: number
  // The first error: code and where; the message text is made only at the top level.
  errCode: RawErrorCode | undefined
  errAt: number
  errField: number | undefined
  errWire: number | undefined
  /** Where decoding stopped when it failed. */
  stopAt: number
}

function newCtx(bytes: Uint8Array, view: DataView, strict: boolean, groupLimit: number): Ctx {
  return {bytes, view, strict, groupLimit, lo: 0, hi: 0, errCode: undefined, errAt: 0, errField: undefined, errWire: undefined, stopAt: 0}
}

function fail(ctx: Ctx, code: RawErrorCode, at: number, stopAt: number, field?: number, wire?: number): -1 {
  ctx.errCode = code
  ctx.errAt = at
  ctx.errField = field
  ctx.errWire = wire
  ctx.stopAt = stopAt
  return -1
}

/**
 * Read a varint of at most maxBytes at pos into ctx.lo/ctx.hi (bits past 64 are
 * dropped, as protobuf does). Returns the position after it, or -1 with the
 * error code set (offset filled in by the caller's tag position).
 */
function readVarint(ctx: Ctx, pos: number, end: number, maxBytes: number, tagAt: number): number {
  const b = ctx.bytes
  let lo = 0
  let hi = 0
  for (let i = 0; i < maxBytes; i++) {
    if (pos >= end) return fail(ctx, 'TRUNCATED_VARINT', tagAt, pos)
    const byte = b[pos++]
    const bits = byte & 0x7f
    if (i < 4) lo |= bits << (7 * i)
    else if (i === 4) {
      lo |= bits << 28
      hi |= bits >>> 4
    } else hi |= bits << (7 * i - 32)
    if (byte < 0x80) {
      ctx.lo = lo >>> 0
      ctx.hi = hi >>> 0
      return pos
    }
  }
  return fail(ctx, 'VARINT_TOO_LONG', tagAt, pos)
}

function varintValue(lo: number, hi: number): RawValue {
  const uint = hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo)
  return {kind: 'varint', uint, int: BigInt.asIntN(64, uint), sint: (uint >> 1n) ^ -(uint & 1n)}
}

/** A length-delimited payload: a nested message when it parses as one within the budget, else text, else bytes. */
function lenValue(ctx: Ctx, start: number, end: number, budget: number): RawValue {
  const bytes = ctx.bytes.subarray(start, end)
  if (end > start && budget > 0) {
    const sub = newCtx(ctx.bytes, ctx.view, false, budget)
    const fields: RawField[] = []
    if (parseFields(sub, start, end, budget - 1, 0, 0, 0, fields) === end) return {kind: 'message', bytes, fields}
  }
  const text = printableText(bytes)
  return text === undefined ? {kind: 'bytes', bytes} : {kind: 'string', bytes, text}
}

/**
 * Decode fields from pos up to end into out. Inside a group (openGroup > 0)
 * it stops after the matching END_GROUP. Returns the position reached, or -1.
 */
function parseFields(
  ctx: Ctx,
  pos: number,
  end: number,
  budget: number,
  groupDepth: number,
  openGroup: number,
  openGroupAt: number,
  out: RawField[],
): number {
  const tagMax = ctx.strict ? VARINT32_STRICT_MAX : VARINT_MAX
  while (pos < end) {
    const tagAt = pos
    pos = readVarint(ctx, pos, end, tagMax, tagAt)
    if (pos < 0) return -1
    const tag = ctx.lo // tags are cut to 32 bits
    const field = tag >>> 3
    const wire = tag & 7
    if (wire === WIRE_END_GROUP) {
      if (openGroup === 0) return fail(ctx, 'UNEXPECTED_END_GROUP', tagAt, tagAt, field, wire)
      if (field !== openGroup) return fail(ctx, 'END_GROUP_MISMATCH', tagAt, tagAt, field, wire)
      return pos
    }
    if (field === 0) return fail(ctx, 'FIELD_NUMBER_ZERO', tagAt, tagAt, field, wire)
    let value: RawValue
    switch (wire) {
      case WIRE_VARINT: {
        pos = readVarint(ctx, pos, end, VARINT_MAX, tagAt)
        if (pos < 0) {
          ctx.errField = field
          ctx.errWire = wire
          return -1
        }
        value = varintValue(ctx.lo, ctx.hi)
        break
      }
      case WIRE_FIXED64: {
        if (end - pos < 8) return fail(ctx, 'TRUNCATED_FIXED', tagAt, tagAt, field, wire)
        const uint = ctx.view.getBigUint64(pos, true)
        value = {kind: 'fixed64', uint, int: BigInt.asIntN(64, uint), double: ctx.view.getFloat64(pos, true)}
        pos += 8
        break
      }
      case WIRE_FIXED32: {
        if (end - pos < 4) return fail(ctx, 'TRUNCATED_FIXED', tagAt, tagAt, field, wire)
        const uint = ctx.view.getUint32(pos, true)
        value = {kind: 'fixed32', uint, int: uint | 0, float: ctx.view.getFloat32(pos, true)}
        pos += 4
        break
      }
      case WIRE_LEN: {
        const lenAt = pos
        pos = readVarint(ctx, pos, end, tagMax, tagAt)
        if (pos < 0) {
          ctx.errField = field
          ctx.errWire = wire
          return -1
        }
        // A strict length of 5 bytes must stay below 2 GiB; a lenient one is cut to 32 bits.
        if (ctx.strict && pos - lenAt === VARINT32_STRICT_MAX && ctx.bytes[pos - 1] >= SIZE_LIMIT_5TH_BYTE) {
          return fail(ctx, 'LENGTH_PAST_END', tagAt, tagAt, field, wire)
        }
        const len = ctx.lo
        if (len > end - pos) return fail(ctx, 'LENGTH_PAST_END', tagAt, tagAt, field, wire)
        value = lenValue(ctx, pos, pos + len, budget)
        pos += len
        break
      }
      case WIRE_START_GROUP: {
        if (groupDepth >= ctx.groupLimit) return fail(ctx, 'GROUP_TOO_DEEP', tagAt, tagAt, field, wire)
        const fields: RawField[] = []
        const after = parseFields(ctx, pos, end, budget - 1, groupDepth + 1, field, tagAt, fields)
        if (after < 0) {
          // Keep what the group held up to the error: a partial result says where it broke.
          out.push({field, wireType: WIRE_START_GROUP, offset: tagAt, length: ctx.stopAt - tagAt, value: {kind: 'group', fields}})
          return -1
        }
        value = {kind: 'group', fields}
        pos = after
        break
      }
      default:
        return fail(ctx, 'BAD_WIRE_TYPE', tagAt, tagAt, field, wire)
    }
    out.push({field, wireType: wire as WireType, offset: tagAt, length: pos - tagAt, value})
  }
  if (openGroup !== 0) return fail(ctx, 'UNTERMINATED_GROUP', openGroupAt, pos, openGroup, WIRE_START_GROUP)
  return pos
}

const MESSAGES: Record<RawErrorCode, (e: {field?: number; wireType?: number}) => string> = {
  TRUNCATED_VARINT: () => 'varint runs past the end of the input',
  VARINT_TOO_LONG: () => 'varint is longer than its maximum size (10 bytes for a value, 5 for a tag or length)',
  BAD_WIRE_TYPE: (e) => `field ${e.field} has wire type ${e.wireType}, which does not exist`,
  FIELD_NUMBER_ZERO: () => 'field number 0 is illegal',
  LENGTH_PAST_END: (e) => `field ${e.field} claims more bytes than remain`,
  TRUNCATED_FIXED: (e) => `field ${e.field}: ${e.wireType === WIRE_FIXED64 ? 'fixed64' : 'fixed32'} value runs past the end of the input`,
  UNEXPECTED_END_GROUP: (e) => `END_GROUP for field ${e.field} outside any group`,
  END_GROUP_MISMATCH: (e) => `END_GROUP for field ${e.field} does not close the open group`,
  UNTERMINATED_GROUP: (e) => `group ${e.field} is not closed before the end of the input`,
  GROUP_TOO_DEEP: () => `groups nested deeper than ${PROTOC_GROUP_LIMIT}`,
}

/**
 * Decode protobuf bytes without a schema, like `protoc --decode_raw`. Never
 * throws on any input: bytes that are not a complete message give the fields
 * decoded before the problem plus an error with a stable code and offset.
 */
export function decodeRaw(bytes: Uint8Array, opts: RawDecodeOptions = {}): RawDecodeResult {
  const maxDepth = Number.isFinite(opts.maxDepth) ? Math.max(0, Math.floor(opts.maxDepth!)) : PROTOC_MAX_DEPTH
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const ctx = newCtx(bytes, view, true, PROTOC_GROUP_LIMIT)
  const fields: RawField[] = []
  if (parseFields(ctx, 0, bytes.length, maxDepth, 0, 0, 0, fields) >= 0) return {fields}
  const e = {field: ctx.errField, wireType: ctx.errWire}
  const error: RawDecodeError = {
    code: ctx.errCode!,
    offset: ctx.errAt,
    message: MESSAGES[ctx.errCode!](e),
    ...(e.field === undefined ? {} : {field: e.field}),
    ...(e.wireType === undefined ? {} : {wireType: e.wireType}),
  }
  return {fields, error}
}
