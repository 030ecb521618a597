import type {Field, MapField, Type} from 'protobufjs'
import protobuf from 'protobufjs'

import {err, ok, type Result, UsageError} from '../../errors.js'
import {closest} from './closest.js'

export interface JsonToMessageOptions {
  /** Drop fields the message does not have instead of failing (reported in `dropped`). */
  allowUnknownFields?: boolean
}

export interface EncodedMessage {
  /** The protobuf encoding. */
  readonly bytes: Uint8Array
  /** Paths of unknown fields that were dropped (with allowUnknownFields). */
  readonly dropped: readonly string[]
}

/**
 * Stable codes: BAD_JSON (not an object where a message goes), FIELD_TYPE
 * (a value of the wrong type or out of range), UNKNOWN_FIELD, ONEOF_CONFLICT.
 */
type Problem = {code: 'BAD_JSON' | 'FIELD_TYPE' | 'UNKNOWN_FIELD' | 'ONEOF_CONFLICT'; message: string}

const INT32: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
}
const INT64_SIGNED = new Set(['int64', 'sint64', 'sfixed64'])
const INT64_UNSIGNED = new Set(['uint64', 'fixed64'])
const MAX_PROBLEMS = 8

function show(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`
  return `${typeof v} ${String(v)}`
}

/**
 * Check a JSON value against a message type the way protoc's JSON parser does
 * (proto3 JSON mapping: field names as in the .proto or their lowerCamelCase JSON
 * names, 64-bit integers as numbers or decimal strings, bytes as base64, enums by
 * name or number), then encode it. Every problem is reported, not just the first.
 */
export function jsonToMessage(type: Type, value: unknown, opts: JsonToMessageOptions = {}): Result<EncodedMessage, UsageError> {
  const problems: Problem[] = []
  const dropped: string[] = []
  const object = convertMessage(type, value, type.name, problems, dropped, opts, 'BAD_JSON')
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS).map((p) => p.message)
    if (problems.length > MAX_PROBLEMS) shown.push(`and ${problems.length - MAX_PROBLEMS} more`)
    return err(new UsageError(problems[0].code, shown.join('; ')))
  }
  try {
    return ok({bytes: type.encode(type.fromObject(object!)).finish(), dropped})
  } catch (e) {
    return err(new UsageError('FIELD_TYPE', `cannot encode ${type.name}: ${(e as Error).message}`, {cause: e}))
  }
}

function convertMessage(
  type: Type,
  value: unknown,
  path: string,
  problems: Problem[],
  dropped: string[],
  opts: JsonToMessageOptions,
  code: 'BAD_JSON' | 'FIELD_TYPE' = 'FIELD_TYPE',
): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({code, message: `${path}: expected a JSON object for message ${type.name}, got ${show(value)}`})
    return undefined
  }
  const out: Record<string, unknown> = {}
  const oneofSeen = new Map<string, string>()
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key] ?? type.fieldsArray.find((f) => f.jsonName === key)
    const at = `${path}.${key}`
    if (field === undefined) {
      if (opts.allowUnknownFields) {
        dropped.push(at)
        continue
      }
      const names = type.fieldsArray.map((f) => f.name)
      const near = closest(key, names)
      const hint = near.length > 0 ? ` (did you mean "${near[0]}"?)` : ''
      const list = names.length > 0 ? `; its fields: ${names.join(', ')}` : '; it has no fields'
      problems.push({code: 'UNKNOWN_FIELD', message: `${type.name} has no field "${key}"${hint}${list}`})
      continue
    }
    // null means "not set" in proto3 JSON.
    if (v === null) continue
    const oneof = field.partOf
    if (oneof !== null && oneof.oneof.length > 1) {
      const other = oneofSeen.get(oneof.name)
      if (other !== undefined) {
        problems.push({code: 'ONEOF_CONFLICT', message: `${path}: "${other}" and "${field.name}" are both in oneof ${oneof.name}; set one`})
        continue
      }
      oneofSeen.set(oneof.name, field.name)
    }
    const converted = convertField(field, v, at, problems, dropped, opts)
    if (converted !== undefined) out[field.name] = converted
  }
  return out
}

function convertField(field: Field, v: unknown, path: string, problems: Problem[], dropped: string[], opts: JsonToMessageOptions): unknown {
  if (field instanceof protobuf.MapField) {
    const mf: MapField = field
    if (typeof v !== 'object' || Array.isArray(v)) {
      problems.push({code: 'FIELD_TYPE', message: `${path}: expected a JSON object for map<${mf.keyType}, ${mf.type}>, got ${show(v)}`})
      return undefined
    }
    const out: Record<string, unknown> = {}
    for (const [k, item] of Object.entries(v as object)) {
      if (mf.keyType === 'bool' && k !== 'true' && k !== 'false') {
        problems.push({code: 'FIELD_TYPE', message: `${path}: map key "${k}" is not a bool`})
        continue
      }
      if (mf.keyType !== 'string' && mf.keyType !== 'bool' && convertScalar(mf.keyType, k, `${path} key`, problems) === undefined) continue
      if (item === null) continue
      const c = convertSingle(field, item, `${path}["${k}"]`, problems, dropped, opts)
      if (c !== undefined) out[k] = c
    }
    return out
  }
  if (field.repeated) {
    if (!Array.isArray(v)) {
      problems.push({code: 'FIELD_TYPE', message: `${path}: expected a JSON array for repeated ${field.type}, got ${show(v)}`})
      return undefined
    }
    return v.map((item, i) => convertSingle(field, item, `${path}[${i}]`, problems, dropped, opts))
  }
  return convertSingle(field, v, path, problems, dropped, opts)
}

function convertSingle(field: Field, v: unknown, path: string, problems: Problem[], dropped: string[], opts: JsonToMessageOptions): unknown {
  const rt = field.resolvedType
  if (rt instanceof protobuf.Type) return convertMessage(rt, v, path, problems, dropped, opts)
  if (rt instanceof protobuf.Enum) {
    if (typeof v === 'string') {
      if (Object.hasOwn(rt.values, v)) return v
      problems.push({code: 'FIELD_TYPE', message: `${path}: "${v}" is not a value of enum ${rt.name} (${Object.keys(rt.values).join(', ')})`})
      return undefined
    }
    if (typeof v === 'number' && Number.isInteger(v) && v >= INT32.int32[0] && v <= INT32.int32[1]) return v
    problems.push({code: 'FIELD_TYPE', message: `${path}: expected enum ${rt.name} (a name or an integer), got ${show(v)}`})
    return undefined
  }
  return convertScalar(field.type, v, path, problems)
}

function convertScalar(type: string, v: unknown, path: string, problems: Problem[]): unknown {
  const bad = (want: string) => {
    problems.push({code: 'FIELD_TYPE', message: `${path}: expected ${type} (${want}), got ${show(v)}`})
    return undefined
  }
  const range = INT32[type]
  if (range !== undefined) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN
    if (!Number.isInteger(n)) return bad('an integer')
    if (n < range[0] || n > range[1]) return bad(`an integer from ${range[0]} to ${range[1]}`)
    return n
  }
  if (INT64_SIGNED.has(type) || INT64_UNSIGNED.has(type)) {
    let text: string
    if (typeof v === 'number' && Number.isSafeInteger(v)) text = String(v)
    else if (typeof v === 'string' && /^-?\d+$/.test(v)) text = v
    else return bad('an integer, or a decimal string beyond 2^53')
    const n = BigInt(text)
    const [lo, hi] = INT64_UNSIGNED.has(type) ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n]
    if (n < lo || n > hi) return bad(`an integer from ${lo} to ${hi}`)
    return text
  }
  switch (type) {
    case 'double':
    case 'float': {
      if (typeof v === 'number') return v
      if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v)
      if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
      return bad('a number')
    }
    case 'bool':
      return typeof v === 'boolean' ? v : bad('true or false')
    case 'string':
      return typeof v === 'string' ? v : bad('a string')
    case 'bytes': {
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) return bad('base64 text')
      return Buffer.from(v, 'base64')
    }
    default:
      return bad('a supported scalar')
  }
}
