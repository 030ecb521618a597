import {
  ERROR_FAILED_DESERIALIZE,
  ERROR_FAILED_SERIALIZE,
  ERROR_METHOD_NOT_FOUND,
  ERROR_PARSE_SERVICE_NAME,
  ERROR_SERVICE_NOT_FOUND,
} from '../../decoders/tinypb/index.js'
import type {MethodInfo, ProtoSchema} from './proto/index.js'
import type {ResponseScript} from './responses.js'

/** Faults that apply to every request (`serve --delay/--error-code/--no-reply`). */
export interface GlobalFaults {
  readonly delayMs?: number
  /** Answer every request with this err_code (and errInfo) and an empty pb_data. */
  readonly errCode?: number
  readonly errInfo?: string
  /** Never answer, like rocket after a dispatch error or a handler that skips done. */
  readonly noReply?: boolean
}

/** What to do with one request. */
export interface Dispatch {
  readonly method?: MethodInfo
  readonly errCode: number
  readonly errInfo: string
  readonly pbData: Uint8Array
  readonly delayMs: number
  readonly noReply: boolean
  /** The request as JSON with defaults, when it was decoded. */
  readonly request?: Record<string, unknown>
  /** Which scripted rule answered (1-based), if one did. */
  readonly rule?: number
  /** Why the answer is what it is, for the log: "framework error", "--no-reply", ... */
  readonly note?: string
}

const EMPTY = new Uint8Array(0)

/**
 * Routes a request by method_name, as tinyrpc's dispatcher does, and answers
 * framework errors the way tinyrpc words them:
 *   10000010 cannot parse service_name:[x]   (no dot in the name)
 *   10000008 not found service_name:[x]
 *   10000009 not found method_name:[x]
 *   10000003 faild to parse request data, request.name:[x] (...)   (tinyrpc's spelling)
 * tinyrpc itself sends 10000004 (its ERROR_FAILED_SERIALIZE) for a payload
 * that does not parse. serve sends 10000003, the deserialize code, as its issue
 * asks, and says in err_info that real tinyrpc sends 10000004, so a client
 * tested against serve does not learn to expect the wrong code.
 * Unlike rocket and tinyrpc it splits at the LAST dot, so methods of a .proto
 * with a package (`pkg.Order.makeOrder`) are found as well as `Order.makeOrder`.
 */
export class Dispatcher {
  private readonly services = new Map<string, Map<string, MethodInfo>>()

  constructor(
    private readonly opts: {
      schema?: ProtoSchema
      script?: ResponseScript
      faults?: GlobalFaults
      /** Decode every request to JSON (for the request log); otherwise only when a rule needs it. */
      decodeRequests?: boolean
      /** With decodeRequests: only payloads up to this many bytes (the log shows larger ones by length). */
      decodeLimit?: number
    } = {},
  ) {
    for (const m of opts.schema?.methods ?? []) {
      for (const svc of new Set([m.service, m.shortName.slice(0, m.shortName.lastIndexOf('.'))])) {
        const methods = this.services.get(svc) ?? new Map<string, MethodInfo>()
        // A simple service name shared by two packages keeps the first: the full name still reaches both.
        if (!methods.has(m.name)) methods.set(m.name, m)
        this.services.set(svc, methods)
      }
    }
  }

  dispatch(methodName: string, pbData: Uint8Array): Dispatch {
    const faults = this.opts.faults ?? {}
    const base = {delayMs: faults.delayMs ?? 0, noReply: faults.noReply === true}
    const dot = methodName.lastIndexOf('.')
    if (dot <= 0 || dot === methodName.length - 1) {
      return {...base, errCode: ERROR_PARSE_SERVICE_NAME, errInfo: `cannot parse service_name:[${methodName}]`, pbData: EMPTY, note: 'framework error'}
    }
    const schema = this.opts.schema
    if (schema === undefined) return this.answer(base, undefined, undefined)

    const serviceName = methodName.slice(0, dot)
    const service = this.services.get(serviceName)
    if (service === undefined) {
      return {...base, errCode: ERROR_SERVICE_NOT_FOUND, errInfo: `not found service_name:[${serviceName}]`, pbData: EMPTY, note: 'framework error'}
    }
    const method = service.get(methodName.slice(dot + 1))
    if (method === undefined) {
      const name = methodName.slice(dot + 1)
      return {...base, errCode: ERROR_METHOD_NOT_FOUND, errInfo: `not found method_name:[${name}]`, pbData: EMPTY, note: 'framework error'}
    }

    const script = this.opts.script
    const forLog = this.opts.decodeRequests === true && pbData.length <= (this.opts.decodeLimit ?? Infinity)
    const wantJson = forLog || (script?.needsRequest(method) ?? false)
    let request: Record<string, unknown> | undefined
    let parsed: boolean
    if (wantJson) {
      const d = schema.decode(method, 'request', pbData)
      parsed = d.ok
      if (d.ok) request = d.value.json
    } else {
      parsed = parses(method, pbData)
    }
    if (!parsed) {
      return {
        ...base,
        method,
        errCode: ERROR_FAILED_DESERIALIZE,
        // tinyrpc's text first, so a client matching it still matches.
        errInfo: `faild to parse request data, request.name:[${method.requestType.fullName.replace(/^\./, '')}] (rpcdiag serve; real tinyrpc sends this with err_code ${ERROR_FAILED_SERIALIZE})`,
        pbData: EMPTY,
        note: 'framework error',
      }
    }
    return this.answer(base, method, request)
  }

  private answer(base: {delayMs: number; noReply: boolean}, method: MethodInfo | undefined, request: Record<string, unknown> | undefined): Dispatch {
    const faults = this.opts.faults ?? {}
    const common = {...base, method, ...(request === undefined ? {} : {request})}
    if (faults.noReply) return {...common, errCode: 0, errInfo: '', pbData: EMPTY, note: '--no-reply'}
    if (faults.errCode !== undefined) {
      return {...common, errCode: faults.errCode, errInfo: faults.errInfo ?? '', pbData: EMPTY, note: '--error-code'}
    }
    const rule = method === undefined ? undefined : this.opts.script?.match(method, request)
    if (rule !== undefined) {
      return {
        ...common,
        errCode: rule.errCode,
        errInfo: rule.errInfo,
        pbData: rule.pbData,
        delayMs: base.delayMs + rule.delayMs,
        noReply: rule.noReply,
        rule: rule.index,
      }
    }
    // No script for this method: every field at its default (an empty message).
    return {...common, errCode: 0, errInfo: '', pbData: EMPTY}
  }
}

function parses(method: MethodInfo, bytes: Uint8Array): boolean {
  try {
    method.requestType.decode(bytes)
    return true
  } catch {
    return false
  }
}
