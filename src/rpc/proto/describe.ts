import type {Enum, Field, MapField, Service, Type} from 'protobufjs'
import protobuf from 'protobufjs'

/** A field as `grpcurl describe` shows it, as data: label, type name, number. */
export interface FieldDescription {
  readonly name: string
  readonly number: number
  /** Scalar name or the full name of a message or enum type (leading dot, as protoc prints it). */
  readonly type: string
  readonly label: 'optional' | 'repeated' | 'map' | 'singular' | 'required'
  readonly keyType?: string
  readonly oneof?: string
  /** The proto3 JSON name when it differs from the .proto name. */
  readonly jsonName?: string
}

export type SymbolDescription =
  | {readonly kind: 'message'; readonly fullName: string; readonly file: string | null; readonly fields: readonly FieldDescription[]}
  | {readonly kind: 'enum'; readonly fullName: string; readonly file: string | null; readonly values: ReadonlyArray<{name: string; number: number}>}
  | {
      readonly kind: 'service'
      readonly fullName: string
      readonly file: string | null
      readonly methods: ReadonlyArray<{name: string; requestType: string; responseType: string; clientStreaming: boolean; serverStreaming: boolean}>
    }

function strip(name: string): string {
  return name.startsWith('.') ? name.slice(1) : name
}

function describeField(f: Field): FieldDescription {
  const rt = f.resolvedType
  const type = rt === null ? f.type : rt.fullName
  const mf = f instanceof protobuf.MapField ? (f as MapField) : undefined
  // A proto3 `optional` is a synthetic oneof of one field: show it as optional, not as a oneof.
  const oneof = f.partOf !== null && f.partOf.oneof.length > 1 ? f.partOf.name : undefined
  const label = mf ? 'map' : f.repeated ? 'repeated' : f.required ? 'required' : f.partOf !== null && oneof === undefined ? 'optional' : 'singular'
  return {
    name: f.name,
    number: f.id,
    type,
    label,
    ...(mf ? {keyType: mf.keyType} : {}),
    ...(oneof === undefined ? {} : {oneof}),
    ...(f.jsonName !== f.name ? {jsonName: f.jsonName} : {}),
  }
}

/** What `rpcdiag methods --describe NAME` shows for a message, enum or service. */
export function describeSymbol(o: Type | Enum | Service): SymbolDescription {
  if (o instanceof protobuf.Type) {
    return {kind: 'message', fullName: strip(o.fullName), file: o.filename, fields: o.fieldsArray.map(describeField)}
  }
  if (o instanceof protobuf.Enum) {
    return {kind: 'enum', fullName: strip(o.fullName), file: o.filename, values: Object.entries(o.values).map(([name, number]) => ({name, number}))}
  }
  return {
    kind: 'service',
    fullName: strip(o.fullName),
    file: o.filename,
    methods: o.methodsArray.map((m) => {
      m.resolve()
      return {
        name: m.name,
        requestType: m.resolvedRequestType!.fullName,
        responseType: m.resolvedResponseType!.fullName,
        clientStreaming: m.requestStream === true,
        serverStreaming: m.responseStream === true,
      }
    }),
  }
}
