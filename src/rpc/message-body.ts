import {decodeRaw, formatRaw, type RawJson, rawToJson} from '../../decoders/protobuf-raw/index.js'
import type {MethodInfo, ProtoSchema, Role, UnknownField} from './proto/index.js'

/**
 * pb_data as shown to the user: JSON through the schema when there is one and
 * the bytes parse, otherwise schema-less like `protoc --decode_raw` (with the
 * reason the schema could not be used).
 */
export type MessageBody =
  | {
      readonly kind: 'json'
      readonly typeName: string
      readonly json: Record<string, unknown>
      readonly unknownFields: readonly UnknownField[]
    }
  | {
      readonly kind: 'raw'
      /** `protoc --decode_raw` text, one string per line. */
      readonly text: readonly string[]
      readonly json: RawJson
      /** Why the schema was not used: none loaded, or the bytes do not parse as its type. */
      readonly schemaError?: string
    }

export function decodeBody(bytes: Uint8Array, schema?: ProtoSchema, method?: MethodInfo, role: Role = 'response'): MessageBody {
  let schemaError: string | undefined
  if (schema !== undefined && method !== undefined) {
    const d = schema.decode(method, role, bytes)
    if (d.ok) return {kind: 'json', typeName: d.value.typeName, json: d.value.json, unknownFields: d.value.unknownFields}
    schemaError = d.error.message
  }
  const raw = decodeRaw(bytes)
  return {kind: 'raw', text: formatRaw(raw), json: rawToJson(raw), ...(schemaError === undefined ? {} : {schemaError})}
}
