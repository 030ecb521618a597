// pb_data of captured frames, shown as JSON: with the method's request or
// response type when a .proto is loaded, schema-less (like protoc --decode_raw)
// otherwise. A payload that does not parse is a value, never fatal.

import {decodeRaw, formatRaw, type RawJson, rawToJson} from '../../decoders/protobuf-raw/index.js'
import type {ProtoSchema} from '../rpc/proto/index.js'

export type PayloadRole = 'request' | 'response'

export type PayloadResult =
  | {
      readonly ok: true
      readonly schema: 'proto'
      /** Full name of the message type. */
      readonly type: string
      /** proto3 JSON with defaults shown. */
      readonly json: Record<string, unknown>
      /** Fields on the wire the .proto does not know (a stale .proto, usually). */
      readonly unknownFields: number
    }
  | {
      readonly ok: true
      readonly schema: 'raw'
      readonly json: RawJson
      /** protoc --decode_raw lines. */
      readonly lines: readonly string[]
    }
  | {
      readonly ok: false
      readonly schema: 'proto' | 'raw'
      /** PB_DECODE (does not parse as its type), RAW_DECODE (not protobuf at all), UNKNOWN_METHOD. */
      readonly code: string
      readonly message: string
      /** The schema-less reading, when the bytes are protobuf but not of the expected type. */
      readonly raw?: {readonly json: RawJson; readonly lines: readonly string[]}
    }

/** Decodes pb_data by method and role. One per session; may cache per method. */
export interface PayloadDecoder {
  decode(method: string, role: PayloadRole, pb: Uint8Array): PayloadResult
  /** Whether the method is defined; undefined when the decoder has no schema to tell. */
  knowsMethod(method: string): boolean | undefined
}

/** Schema-less: any protobuf message decodes; bytes that are not protobuf are flagged. */
export class RawPayloadDecoder implements PayloadDecoder {
  decode(_method: string, _role: PayloadRole, pb: Uint8Array): PayloadResult {
    const r = decodeRaw(pb)
    if (r.error !== undefined) {
      return {ok: false, schema: 'raw', code: 'RAW_DECODE', message: `not a protobuf message: ${r.error.message} at byte ${r.error.offset}`}
    }
    return {ok: true, schema: 'raw', json: rawToJson(r), lines: formatRaw(r)}
  }

  knowsMethod(): undefined {
    return undefined
  }
}

/** The subset of the shared .proto loader's schema the sniffer uses. */
export type PayloadSchema = Pick<ProtoSchema, 'decodePayload' | 'findMethod'>

/**
 * With a .proto: the method's request or response type. A method the .proto does
 * not define is flagged and shown schema-less, so nothing captured is hidden.
 */
export class SchemaPayloadDecoder implements PayloadDecoder {
  private readonly known = new Map<string, boolean>()
  private readonly raw = new RawPayloadDecoder()

  constructor(private readonly schema: PayloadSchema) {}

  knowsMethod(method: string): boolean {
    let k = this.known.get(method)
    if (k === undefined) {
      k = this.schema.findMethod(method).ok
      // Method names come off the wire: bound the cache against a stream of garbage names.
      if (this.known.size < 10_000) this.known.set(method, k)
    }
    return k
  }

  decode(method: string, role: PayloadRole, pb: Uint8Array): PayloadResult {
    if (!this.knowsMethod(method)) {
      const raw = this.rawReading(pb)
      return {ok: false, schema: 'proto', code: 'UNKNOWN_METHOD', message: `method "${method}" is not in the loaded .proto files`, raw}
    }
    const d = this.schema.decodePayload(method, role, pb)
    if (d.ok) return {ok: true, schema: 'proto', type: d.value.typeName, json: d.value.json, unknownFields: d.value.unknownFields.length}
    return {ok: false, schema: 'proto', code: d.error.code, message: d.error.message, raw: this.rawReading(pb)}
  }

  private rawReading(pb: Uint8Array): {json: RawJson; lines: readonly string[]} | undefined {
    const r = this.raw.decode('', 'request', pb)
    return r.ok && r.schema === 'raw' ? {json: r.json, lines: r.lines} : undefined
  }
}
