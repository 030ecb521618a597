import type {Field, IConversionOptions, Message, Type} from 'protobufjs'
import protobuf from 'protobufjs'

import {err, ok, type Result, RpcDiagError} from '../../errors.js'

/** A field on the wire that the schema does not know: often the first sign of a stale .proto. */
export interface UnknownField {
  /** Where it sat: `makeOrderResponse` or `makeOrderResponse.items[0]`. */
  readonly path: string
  readonly fieldNumber: number
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (3/4 are groups). */
  readonly wireType: number
  readonly bytes: number
}

export interface DecodedMessage {
  /** Full name of the message type, without the leading dot. */
  readonly typeName: string
  /** proto3 JSON with every field present: zero values are shown, not hidden (grpcurl hides them). */
  readonly json: Record<string, unknown>
  readonly unknownFields: readonly UnknownField[]
}

/**
 * Defaults on, so 0, "" and false show up; 64-bit integers as decimal strings
 * and bytes as base64 (the proto3 JSON mapping); NaN/Infinity as strings.
 */
const CONVERSION: IConversionOptions = {defaults: true, enums: String, longs: String, bytes: String, json: true, arrays: true, objects: true}

/**
 * Decode protobuf bytes as type. Never throws: bytes that do not parse (wrong
 * wire type, truncated length, bad UTF-8) are an error value with code PB_DECODE.
 */
export function decodeMessage(type: Type, bytes: Uint8Array): Result<DecodedMessage, RpcDiagError> {
  let message: Message
  try {
    const reader = protobuf.Reader.create(bytes)
    reader.discardUnknown = false
    message = type.decode(reader)
  } catch (e) {
    return err(new RpcDiagError('PB_DECODE', `${bytes.length} bytes do not parse as ${type.name}: ${(e as Error).message}`, {cause: e}))
  }
  const json = orderKeys(type, type.toObject(message, CONVERSION))
  const unknownFields: UnknownField[] = []
  collectUnknown(type, message, type.name, unknownFields)
  return ok({typeName: type.fullName.replace(/^\./, ''), json, unknownFields})
}

/** toObject puts defaults of arrays and maps first; readers expect the .proto order. */
function orderKeys(type: Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of type.fieldsArray) {
    if (!Object.hasOwn(obj, f.name)) continue
    out[f.name] = orderValue(f, obj[f.name])
  }
  return out
}

function orderValue(f: Field, v: unknown): unknown {
  const rt = f.resolvedType
  if (!(rt instanceof protobuf.Type) || v === null || v === undefined) return v
  if ((f as {map?: boolean}).map) {
    return Object.fromEntries(Object.entries(v as Record<string, Record<string, unknown>>).map(([k, x]) => [k, orderKeys(rt, x)]))
  }
  if (Array.isArray(v)) return v.map((x) => orderKeys(rt, x as Record<string, unknown>))
  return orderKeys(rt, v as Record<string, unknown>)
}

function readTag(raw: Uint8Array): {fieldNumber: number; wireType: number} {
  let tag = 0
  let shift = 0
  for (let i = 0; i < raw.length && i < 5; i++) {
    tag += (raw[i] & 0x7f) * 2 ** shift
    if ((raw[i] & 0x80) === 0) break
    shift += 7
  }
  return {fieldNumber: Math.floor(tag / 8), wireType: tag % 8}
}

function collectUnknown(type: Type, message: Message, path: string, out: UnknownField[]): void {
  const raws = (message as {$unknowns?: Uint8Array[]}).$unknowns
  for (const raw of raws ?? []) out.push({path, ...readTag(raw), bytes: raw.length})
  for (const f of type.fieldsArray) {
    const rt = f.resolvedType
    if (!(rt instanceof protobuf.Type)) continue
    const v = (message as unknown as Record<string, unknown>)[f.name]
    if (v === null || v === undefined) continue
    if ((f as {map?: boolean}).map) {
      for (const [k, x] of Object.entries(v as Record<string, Message>)) collectUnknown(rt, x, `${path}.${f.name}["${k}"]`, out)
    } else if (Array.isArray(v)) {
      v.forEach((x: Message, i) => collectUnknown(rt, x, `${path}.${f.name}[${i}]`, out))
    } else {
      collectUnknown(rt, v as Message, `${path}.${f.name}`, out)
    }
  }
}
