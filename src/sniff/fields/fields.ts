// The one list of call fields: the names -Y compares and -T fields -e prints,
// what each means, and how it is read from a call. Payload fields (req.price,
// resp.order_id) are read by name from the payload the .proto decoded.

import {closest} from '../../rpc/proto/closest.js'
import type {FrameInfo} from '../events.js'
import type {CallView} from './call-view.js'

/** A field's value on one call; undefined when the call has none (an unanswered call has no latency). */
export type FieldValue = string | number | boolean | readonly string[] | undefined

/**
 * time: epoch seconds (printed with six decimals, as sniff --json's ts);
 * ms: a duration in milliseconds (-Y takes `5ms`, `2s`, `1m`);
 * strings: several values, any of which may match (tshark's multi-occurrence fields).
 */
export type FieldKind = 'time' | 'ms' | 'number' | 'string' | 'strings'

/** What a field needs besides the call: the capture's clock. */
export interface FieldContext {
  /** Event time (ms since the capture's first whole second) as epoch seconds. */
  epoch(t: number): number
}

export interface FieldDef {
  readonly name: string
  readonly kind: FieldKind
  readonly description: string
  readonly get: (c: CallView, ctx: FieldContext) => FieldValue
}

function frameOf(c: CallView): FrameInfo | undefined {
  return c.request ?? c.response
}

function serviceOf(method: string): string {
  const dot = method.lastIndexOf('.')
  return dot < 0 ? '' : method.slice(0, dot)
}

function f(name: string, kind: FieldKind, description: string, get: FieldDef['get']): FieldDef {
  return {name, kind, description, get}
}

export const CALL_FIELDS: readonly FieldDef[] = [
  f('time', 'time', 'when the call ended (reply, or the wait): epoch seconds, as sniff --json ts', (c, ctx) => ctx.epoch(c.t)),
  f('state', 'string', 'ok, error, unanswered, duplicate, uncertain or orphan (a reply without request)', (c) => c.state),
  f('method', 'string', 'method_name: "Order.makeOrder"', (c) => frameOf(c)?.method),
  f('service', 'string', 'the method name before its last dot: "Order"', (c) => {
    const m = frameOf(c)?.method
    return m === undefined ? undefined : serviceOf(m)
  }),
  f('msg_id', 'string', 'the call id (text, compared as text)', (c) => frameOf(c)?.msgId),
  f('latency', 'ms', 'request to reply, ms (takes units: latency > 5ms)', (c) => c.latencyMs),
  f('waited', 'ms', 'how long an unanswered request waited, ms', (c) => c.waitedMs),
  f('err_code', 'number', "the reply's err_code (0: OK)", (c) => c.response?.errCode),
  f('err_name', 'string', 'the name of a non-zero err_code: ERROR_SERVICE_NOT_FOUND', (c) => c.errName),
  f('err_info', 'string', "the reply's err_info text", (c) => c.response?.errInfo),
  f('cause', 'string', 'why a request went unanswered, likeliest first: HANDLER_NO_DONE, ...', (c) => c.cause),
  f('reason', 'string', 'why a call is uncertain: gap, truncated, drop, conflict', (c) => c.uncertainReason),
  f('late', 'number', '1 when the reply came after --timeout', (c) => (c.late ? 1 : 0)),
  f('req.size', 'number', 'request frame bytes (pk_len)', (c) => c.request?.size),
  f('resp.size', 'number', 'reply frame bytes (pk_len)', (c) => c.response?.size),
  f('client', 'string', 'client address:port', (c) => c.conn.client),
  f('server', 'string', 'server address:port', (c) => c.conn.server),
  f('client.addr', 'string', 'client address', (c) => c.conn.clientAddr.host),
  f('client.port', 'number', 'client port', (c) => c.conn.clientAddr.port),
  f('server.addr', 'string', 'server address', (c) => c.conn.serverAddr.host),
  f('server.port', 'number', 'server port', (c) => c.conn.serverAddr.port),
  f('conn', 'number', 'connection number, in order of first sight', (c) => c.conn.id),
  f('client.process', 'string', 'the client process name (live captures)', (c) => c.conn.clientProcess?.name),
  f('server.process', 'string', 'the server process name (live captures)', (c) => c.conn.serverProcess?.name),
  f('process', 'strings', 'either process name: process == "rocket_server" matches either end', (c) =>
    [c.conn.clientProcess?.name, c.conn.serverProcess?.name].filter((n): n is string => n !== undefined),
  ),
]

const BY_NAME = new Map(CALL_FIELDS.map((d) => [d.name, d]))

/** req.<path> and resp.<path>: a field of the decoded payload. */
export const PAYLOAD_PREFIXES = ['req', 'resp'] as const

export type FieldRef = {readonly name: string; readonly def: FieldDef} | {readonly name: string; readonly payload: 'req' | 'resp'; readonly path: readonly string[]}

/** Resolve a field name; an error message (with a did-you-mean) when there is no such field. */
export function resolveField(name: string, opts: {payloads: boolean}): {ok: true; ref: FieldRef} | {ok: false; message: string; after: string} {
  const def = BY_NAME.get(name)
  if (def !== undefined) return {ok: true, ref: {name, def}}
  const [head, ...path] = name.split('.')
  if ((head === 'req' || head === 'resp') && path.length > 0 && path.every((p) => p !== '')) {
    if (!opts.payloads) return {ok: false, message: `${name} is a payload field`, after: ' (payload fields need --proto: the .proto names them)'}
    return {ok: true, ref: {name, payload: head, path}}
  }
  const near = closest(name, [...BY_NAME.keys()], 2)
  return {ok: false, message: `unknown field "${name}"`, after: near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : ''}
}

/** A payload field by path; objects and lists read as their JSON text. */
function payloadValue(frame: FrameInfo | undefined, path: readonly string[]): FieldValue {
  const p = frame?.payload
  if (p === undefined || !p.ok || p.schema !== 'proto') return undefined
  let v: unknown = p.json
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[key]
  }
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v
  if (typeof v === 'bigint') return String(v)
  return JSON.stringify(v)
}

export function fieldValue(ref: FieldRef, c: CallView, ctx: FieldContext): FieldValue {
  if ('def' in ref) return ref.def.get(c, ctx)
  return payloadValue(ref.payload === 'req' ? c.request : c.response, ref.path)
}

export function fieldKind(ref: FieldRef): FieldKind | undefined {
  return 'def' in ref ? ref.def.kind : undefined
}
