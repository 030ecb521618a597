import type {Enum, Field, Type} from 'protobufjs'

import {err, ok, type Result, UsageError} from '../errors.js'
import {closest, type MethodInfo, type ProtoSchema} from './proto/index.js'

/**
 * Scripted answers for `serve --responses file.json`. Per method, either a
 * fixed response (a JSON object) or a list of rules tried in order:
 *
 *   {
 *     "Order.makeOrder": [
 *       {"when": {"price": {"$gte": 10}}, "response": {"order_id": "20230514"}},
 *       {"response": {"ret_code": -1, "res_info": "short balance"}}
 *     ],
 *     "QueryService.query_name": {"ret_code": 0, "name": "tiny"}
 *   }
 *
 * A rule has: "when" (field paths, dotted for nested messages, mapped to a
 * value to equal or to operators $eq $ne $gt $gte $lt $lte $in $nin $regex
 * $exists), "response" (JSON of the response type), "err_code" / "err_info"
 * (a framework or business error in the frame), "delay_ms", "no_reply".
 * A rule without "when" always matches. Everything is checked against the
 * schema when the file is loaded, so a typo fails at start-up, not mid-test.
 */
export interface ResponseRule {
  /** 1-based position in the method's list, for logs. */
  readonly index: number
  readonly conditions: readonly Condition[]
  /** The response, encoded once at load time. */
  readonly pbData: Uint8Array
  readonly errCode: number
  readonly errInfo: string
  readonly delayMs: number
  readonly noReply: boolean
}

const OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$regex', '$exists'] as const
type Operator = (typeof OPERATORS)[number]
const RULE_KEYS = ['when', 'response', 'err_code', 'err_info', 'delay_ms', 'no_reply']

export interface Condition {
  readonly path: readonly string[]
  readonly op: Operator
  readonly value: unknown
}

export class ResponseScript {
  constructor(private readonly rules: ReadonlyMap<string, readonly ResponseRule[]>) {}

  /** Methods (full names) that have rules. */
  get methods(): string[] {
    return [...this.rules.keys()]
  }

  has(method: MethodInfo): boolean {
    return this.rules.has(method.fullName)
  }

  /** Whether answering this method needs the request decoded to JSON. */
  needsRequest(method: MethodInfo): boolean {
    return (this.rules.get(method.fullName) ?? []).some((r) => r.conditions.length > 0)
  }

  /** The first rule whose conditions all hold for the request, if any. */
  match(method: MethodInfo, request: Record<string, unknown> | undefined): ResponseRule | undefined {
    for (const r of this.rules.get(method.fullName) ?? []) {
      if (r.conditions.every((c) => holds(c, request))) return r
    }
    return undefined
  }
}

function lookup(obj: unknown, path: readonly string[]): unknown {
  let v = obj
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined
    v = (v as Record<string, unknown>)[k]
  }
  return v
}

/** Numbers and decimal strings (64-bit fields are strings in proto3 JSON) compare as numbers. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return undefined
}

function equal(a: unknown, b: unknown): boolean {
  const na = num(a)
  const nb = num(b)
  if (na !== undefined && nb !== undefined) return na === nb
  return JSON.stringify(a) === JSON.stringify(b)
}

function holds(c: Condition, request: Record<string, unknown> | undefined): boolean {
  const v = lookup(request, c.path)
  switch (c.op) {
    case '$eq':
      return equal(v, c.value)
    case '$ne':
      return !equal(v, c.value)
    case '$in':
      return (c.value as unknown[]).some((x) => equal(v, x))
    case '$nin':
      return !(c.value as unknown[]).some((x) => equal(v, x))
    case '$regex':
      return typeof v === 'string' && (c.value as RegExp).test(v)
    case '$exists':
      return (v !== undefined && v !== null) === c.value
    default: {
      const a = num(v)
      const b = num(c.value)
      if (a === undefined || b === undefined) return false
      return c.op === '$gt' ? a > b : c.op === '$gte' ? a >= b : c.op === '$lt' ? a < b : a <= b
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Check a dotted path against the request type; returns a problem or undefined. */
function checkPath(type: Type, path: readonly string[]): string | undefined {
  let t: Type | null = type
  for (let i = 0; i < path.length; i++) {
    if (t === null) return `"${path.slice(0, i).join('.')}" is not a message, so "${path.join('.')}" cannot be looked up`
    const f: Field | undefined = t.fields[path[i]]
    if (f === undefined) {
      const near = closest(path[i], Object.keys(t.fields))
      return `${t.name} has no field "${path[i]}"${near.length > 0 ? ` (did you mean "${near[0]}"?)` : ''}`
    }
    const rt: Type | Enum | null = f.resolvedType
    t = rt !== null && 'fieldsArray' in rt && !f.repeated ? rt : null
  }
  return undefined
}

function compileWhen(when: unknown, type: Type, where: string): Result<Condition[], UsageError> {
  if (!isObject(when)) return err(new UsageError('BAD_RESPONSES', `${where}: "when" must be an object of field paths`))
  const out: Condition[] = []
  for (const [key, spec] of Object.entries(when)) {
    const path = key.split('.')
    const problem = checkPath(type, path)
    if (problem !== undefined) return err(new UsageError('BAD_RESPONSES', `${where}: ${problem}`))
    const ops = isObject(spec) && Object.keys(spec).length > 0 && Object.keys(spec).every((k) => k.startsWith('$')) ? spec : {$eq: spec}
    for (const [op, value] of Object.entries(ops)) {
      if (!(OPERATORS as readonly string[]).includes(op)) {
        return err(new UsageError('BAD_RESPONSES', `${where}: unknown operator "${op}" for "${key}" (use ${OPERATORS.join(' ')})`))
      }
      if ((op === '$in' || op === '$nin') && !Array.isArray(value)) {
        return err(new UsageError('BAD_RESPONSES', `${where}: ${op} for "${key}" needs an array`))
      }
      if ((op === '$gt' || op === '$gte' || op === '$lt' || op === '$lte') && num(value) === undefined) {
        return err(new UsageError('BAD_RESPONSES', `${where}: ${op} for "${key}" needs a number`))
      }
      if (op === '$exists' && typeof value !== 'boolean') return err(new UsageError('BAD_RESPONSES', `${where}: $exists for "${key}" needs true or false`))
      if (op === '$regex') {
        if (typeof value !== 'string') return err(new UsageError('BAD_RESPONSES', `${where}: $regex for "${key}" needs a string`))
        try {
          out.push({path, op, value: new RegExp(value)})
        } catch (e) {
          return err(new UsageError('BAD_RESPONSES', `${where}: bad $regex for "${key}": ${(e as Error).message}`))
        }
        continue
      }
      out.push({path, op: op as Operator, value})
    }
  }
  return ok(out)
}

function compileRule(schema: ProtoSchema, method: MethodInfo, raw: unknown, index: number, where: string): Result<ResponseRule, UsageError> {
  if (!isObject(raw)) return err(new UsageError('BAD_RESPONSES', `${where}: a rule must be an object`))
  const extra = Object.keys(raw).filter((k) => !RULE_KEYS.includes(k))
  if (extra.length > 0) {
    return err(new UsageError('BAD_RESPONSES', `${where}: unknown key "${extra[0]}" in a rule (keys: ${RULE_KEYS.join(', ')})`))
  }
  let conditions: Condition[] = []
  if (raw.when !== undefined) {
    const c = compileWhen(raw.when, method.requestType, where)
    if (!c.ok) return c
    conditions = c.value
  }
  const enc = schema.encodeJson(method, 'response', raw.response ?? {})
  if (!enc.ok) return err(new UsageError('BAD_RESPONSES', `${where}: response: ${enc.error.message}`))
  const errCode = raw.err_code ?? 0
  if (typeof errCode !== 'number' || !Number.isInteger(errCode) || errCode < -(2 ** 31) || errCode >= 2 ** 31) {
    return err(new UsageError('BAD_RESPONSES', `${where}: err_code must be an int32`))
  }
  if (raw.err_info !== undefined && typeof raw.err_info !== 'string') return err(new UsageError('BAD_RESPONSES', `${where}: err_info must be a string`))
  const delayMs = raw.delay_ms ?? 0
  if (typeof delayMs !== 'number' || !(delayMs >= 0)) return err(new UsageError('BAD_RESPONSES', `${where}: delay_ms must be a number >= 0`))
  if (raw.no_reply !== undefined && typeof raw.no_reply !== 'boolean') return err(new UsageError('BAD_RESPONSES', `${where}: no_reply must be true or false`))
  return ok({
    index,
    conditions,
    // An error reply carries err_code/err_info and an empty pb_data, as tinyrpc's do.
    pbData: errCode !== 0 && raw.response === undefined ? new Uint8Array(0) : enc.value.bytes,
    errCode,
    errInfo: (raw.err_info as string | undefined) ?? '',
    delayMs,
    noReply: raw.no_reply === true,
  })
}

/** Parse and check a responses file against the schema. `source` names the file in messages. */
export function parseResponses(text: string, schema: ProtoSchema, source = 'responses file'): Result<ResponseScript, UsageError> {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    return err(new UsageError('BAD_RESPONSES', `${source} is not valid JSON: ${(e as Error).message}`))
  }
  if (!isObject(doc)) return err(new UsageError('BAD_RESPONSES', `${source} must hold a JSON object keyed by method name`))
  const rules = new Map<string, ResponseRule[]>()
  for (const [name, spec] of Object.entries(doc)) {
    const m = schema.findMethod(name)
    if (!m.ok) return err(new UsageError('BAD_RESPONSES', `${source}: ${m.error.message}`))
    const list = Array.isArray(spec) ? spec : [{response: spec}]
    if (!Array.isArray(spec) && !isObject(spec)) {
      return err(new UsageError('BAD_RESPONSES', `${source}: ${name} needs a response object or a list of rules`))
    }
    const compiled: ResponseRule[] = []
    for (const [i, raw] of list.entries()) {
      const r = compileRule(schema, m.value, raw, i + 1, `${source}: ${name} rule ${i + 1}`)
      if (!r.ok) return r
      compiled.push(r.value)
    }
    if (rules.has(m.value.fullName)) return err(new UsageError('BAD_RESPONSES', `${source}: ${m.value.fullName} is given twice`))
    rules.set(m.value.fullName, compiled)
  }
  return ok(new ResponseScript(rules))
}
