import {toHex} from '../string/index.js'
import type {RawDecodeError, RawDecodeResult, RawField} from './types.js'

// A JSON-safe shape for --json output: 64-bit integers as decimal strings
// (JSON numbers lose precision past 2^53), non-finite floats as the strings
// "NaN", "Infinity", "-Infinity" (as the proto3 JSON mapping does), bytes as hex.

interface JsonFieldBase {
  field: number
  wireType: number
  offset: number
  length: number
}

export type RawJsonField = JsonFieldBase &
  (
    | {type: 'varint'; uint: string; int: string; sint: string}
    | {type: 'fixed64'; hex: string; uint: string; int: string; double: number | string}
    | {type: 'fixed32'; hex: string; uint: number; int: number; float: number | string}
    | {type: 'message'; fields: RawJsonField[]}
    | {type: 'string'; text: string}
    | {type: 'bytes'; hex: string}
    | {type: 'group'; fields: RawJsonField[]}
  )

export interface RawJson {
  fields: RawJsonField[]
  error?: RawDecodeError
}

function jsonFloat(x: number): number | string {
  return Number.isFinite(x) ? x : String(x)
}

function fieldToJson(f: RawField): RawJsonField {
  // One object literal per kind (no spreads): --json output runs this for every frame.
  const {field, wireType, offset, length} = f
  const v = f.value
  switch (v.kind) {
    case 'varint':
      return {field, wireType, offset, length, type: 'varint', uint: v.uint.toString(), int: v.int.toString(), sint: v.sint.toString()}
    case 'fixed64':
      return {field, wireType, offset, length, type: 'fixed64', hex: '0x' + v.uint.toString(16).padStart(16, '0'), uint: v.uint.toString(), int: v.int.toString(), double: jsonFloat(v.double)}
    case 'fixed32':
      return {field, wireType, offset, length, type: 'fixed32', hex: '0x' + v.uint.toString(16).padStart(8, '0'), uint: v.uint, int: v.int, float: jsonFloat(v.float)}
    case 'message':
      return {field, wireType, offset, length, type: 'message', fields: v.fields.map(fieldToJson)}
    case 'group':
      return {field, wireType, offset, length, type: 'group', fields: v.fields.map(fieldToJson)}
    case 'string':
      return {field, wireType, offset, length, type: 'string', text: v.text}
    case 'bytes':
      return {field, wireType, offset, length, type: 'bytes', hex: toHex(v.bytes)}
  }
}

/** The decode result as plain JSON values: JSON.stringify works on it and nothing is lost. */
export function rawToJson(result: RawDecodeResult): RawJson {
  const out: RawJson = {fields: result.fields.map(fieldToJson)}
  if (result.error !== undefined) out.error = {...result.error}
  return out
}
