import type {Enum, Method, Namespace, Root, Service, Type} from 'protobufjs'
import protobuf from 'protobufjs'

import {err, ok, type Result, RpcDiagError, UsageError} from '../../errors.js'
import {closest} from './closest.js'
import {jsonToMessage, type JsonToMessageOptions} from './json-to-message.js'
import {type DecodedMessage, decodeMessage} from './message-to-json.js'

export type Role = 'request' | 'response'

/** One rpc of a service, with the name a C++ client puts in the frame. */
export interface MethodInfo {
  /** protobuf full name without the leading dot: `pkg.Order.makeOrder`, or `Order.makeOrder` with no package. */
  readonly fullName: string
  /**
   * What rocket and tinyrpc clients write as method_name: the MethodDescriptor's
   * full name, so a package is part of it (and rocket then misroutes it).
   */
  readonly wireName: string
  /** `Order.makeOrder`: service simple name and method, what users usually type. */
  readonly shortName: string
  readonly service: string
  readonly name: string
  readonly requestType: Type
  readonly responseType: Type
  readonly clientStreaming: boolean
  readonly serverStreaming: boolean
  readonly file: string | null
}

export interface ServiceInfo {
  readonly fullName: string
  readonly methods: readonly MethodInfo[]
  readonly file: string | null
}

function stripDot(name: string): string {
  return name.startsWith('.') ? name.slice(1) : name
}

/** How many methods an "unknown method" message lists before it says "and N more". */
const LIST_LIMIT = 20

/**
 * The loaded .proto files: services, methods and message types, and the JSON
 * <-> protobuf conversions that call, serve, methods and sniff share.
 */
export class ProtoSchema {
  private readonly serviceList: ServiceInfo[]
  private readonly byFullName = new Map<string, MethodInfo>()
  private readonly byShortName = new Map<string, MethodInfo[]>()

  constructor(
    readonly root: Root,
    /** Absolute paths of the files named on the command line. */
    readonly files: readonly string[],
  ) {
    this.serviceList = []
    for (const s of collect<Service>(root, (o) => o instanceof protobuf.Service)) {
      const fullName = stripDot(s.fullName)
      const shortService = s.name
      const methods = s.methodsArray.map((m: Method): MethodInfo => {
        m.resolve()
        const full = `${fullName}.${m.name}`
        return {
          fullName: full,
          wireName: full,
          shortName: `${shortService}.${m.name}`,
          service: fullName,
          name: m.name,
          requestType: m.resolvedRequestType!,
          responseType: m.resolvedResponseType!,
          clientStreaming: m.requestStream === true,
          serverStreaming: m.responseStream === true,
          file: s.filename,
        }
      })
      this.serviceList.push({fullName, methods, file: s.filename})
      for (const m of methods) {
        this.byFullName.set(m.fullName, m)
        const list = this.byShortName.get(m.shortName) ?? []
        list.push(m)
        this.byShortName.set(m.shortName, list)
      }
    }
    this.serviceList.sort((a, b) => a.fullName.localeCompare(b.fullName))
  }

  get services(): readonly ServiceInfo[] {
    return this.serviceList
  }

  get methods(): MethodInfo[] {
    return this.serviceList.flatMap((s) => s.methods)
  }

  /**
   * A method by `Service.method`, `pkg.Service.method` or grpcurl's
   * `pkg.Service/method`. Unknown names fail with the methods that exist and
   * the closest ones.
   */
  findMethod(name: string): Result<MethodInfo, UsageError> {
    const key = stripDot(name.trim()).replace('/', '.')
    // A full name wins over a simple one: `Order.makeOrder` is the unpackaged service if there is one.
    const exact = this.byFullName.get(key)
    if (exact !== undefined) return ok(exact)
    const found = this.byShortName.get(key)
    if (found !== undefined && found.length === 1) return ok(found[0])
    if (found !== undefined) {
      return err(new UsageError('AMBIGUOUS_METHOD', `method "${name}" is ambiguous: ${found.map((m) => m.fullName).join(', ')}; give the full name`))
    }
    const all = this.methods
    if (all.length === 0) {
      return err(new UsageError('UNKNOWN_METHOD', `unknown method "${name}": the loaded .proto files define no services`))
    }
    const names = all.map((m) => m.fullName)
    const near = closest(key, [...new Set([...names, ...all.map((m) => m.shortName)])])
    const listed = names.slice(0, LIST_LIMIT).join(', ') + (names.length > LIST_LIMIT ? ` and ${names.length - LIST_LIMIT} more` : '')
    const hint = near.length > 0 ? ` Did you mean ${near.join(' or ')}?` : ''
    return err(new UsageError('UNKNOWN_METHOD', `unknown method "${name}".${hint} Methods: ${listed}`))
  }

  /** The closest method names to name, for "did you mean" lines. */
  suggestMethods(name: string): string[] {
    const all = this.methods
    return closest(stripDot(name).replace('/', '.'), [...new Set([...all.map((m) => m.fullName), ...all.map((m) => m.shortName)])])
  }

  /** A message type, enum or service by full or simple name (for `methods --describe`). */
  findSymbol(name: string): Result<Type | Enum | Service, UsageError> {
    const key = stripDot(name.trim())
    const all = collect<Type | Enum | Service>(this.root, (o) => o instanceof protobuf.Type || o instanceof protobuf.Enum || o instanceof protobuf.Service)
    const hits = all.filter((o) => stripDot(o.fullName) === key)
    const simple = hits.length > 0 ? hits : all.filter((o) => o.name === key)
    if (simple.length === 1) return ok(simple[0])
    if (simple.length > 1) {
      return err(new UsageError('AMBIGUOUS_SYMBOL', `"${name}" is ambiguous: ${simple.map((o) => stripDot(o.fullName)).join(', ')}`))
    }
    const full = all.map((o) => stripDot(o.fullName))
    const bySimple = new Map(all.map((o, i) => [o.name, full[i]]))
    const near = [...new Set(closest(key, [...full, ...bySimple.keys()]).map((n) => bySimple.get(n) ?? n))]
    return err(new UsageError('UNKNOWN_SYMBOL', `no message, enum or service named "${name}"${near.length > 0 ? `. Did you mean ${near.join(' or ')}?` : ''}`))
  }

  /** The request or response type of a method. */
  typeFor(method: MethodInfo, role: Role): Type {
    return role === 'request' ? method.requestType : method.responseType
  }

  /** JSON (text already parsed) -> protobuf bytes for the method's request or response, strictly checked. */
  encodeJson(method: MethodInfo, role: Role, value: unknown, opts: JsonToMessageOptions = {}): ReturnType<typeof jsonToMessage> {
    return jsonToMessage(this.typeFor(method, role), value, opts)
  }

  /** protobuf bytes -> JSON with default values, for the method's request or response. */
  decode(method: MethodInfo, role: Role, bytes: Uint8Array): Result<DecodedMessage, RpcDiagError> {
    return decodeMessage(this.typeFor(method, role), bytes)
  }

  /**
   * The sniffer's entry point: decode pb_data of a frame by its wire method name
   * and its role. Fails (as a value) when the method is not in the schema or the
   * bytes do not parse as its type.
   */
  decodePayload(methodName: string, role: Role, bytes: Uint8Array): Result<DecodedMessage & {method: MethodInfo}, RpcDiagError> {
    const m = this.findMethod(methodName)
    if (!m.ok) return m
    const d = this.decode(m.value, role, bytes)
    return d.ok ? ok({...d.value, method: m.value}) : d
  }
}

/** Every reflection object under ns that pred accepts, depth first in declaration order. */
function collect<T>(ns: Namespace, pred: (o: unknown) => boolean): T[] {
  const out: T[] = []
  const walk = (n: Namespace) => {
    for (const child of n.nestedArray) {
      if (pred(child)) out.push(child as T)
      if ('nestedArray' in child && Array.isArray((child as Namespace).nestedArray)) walk(child as Namespace)
    }
  }
  walk(ns)
  return out
}
