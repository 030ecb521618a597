// Which sniff event moves which metric: a table, so an event another branch
// adds is one more row, and what a row reads from its event is type-checked.

import {describeErrorCode} from '../../decoders/tinypb/index.js'
import type {ConnRef, SniffEvent} from '../sniff/index.js'

/**
 * An event of type T: the SniffEvent of that type; for a type the sniff
 * pipeline does not emit yet, a loose record (its rule is written ahead and
 * reads it with `field`). Once the type joins SniffEvent, the rule is checked
 * against the real shape.
 */
export type EventOf<T extends string> = T extends SniffEvent['type']
  ? Extract<SniffEvent, {type: T}>
  : {readonly type: T; readonly t?: number; readonly conn?: ConnRef; readonly [field: string]: unknown}

/**
 * The counters events move. perMethod: labelled server, service, method
 * (else server only), then the extra labels.
 */
export const EVENT_COUNTERS = {
  requests: {name: 'tinypb_requests_total', help: 'TinyPB requests seen, as they arrive', perMethod: true, labels: []},
  responses: {
    name: 'tinypb_responses_total',
    help: 'TinyPB responses that answered a request (late ones included) or no request seen (orphans), by err_code; re-sent duplicates are in tinypb_duplicate_responses_total',
    perMethod: true,
    labels: ['err_code', 'err_name'],
  },
  unanswered: {
    name: 'tinypb_unanswered_total',
    help: 'Requests reported unanswered (at --timeout, when the connection ended, or when the capture did), by their most likely cause',
    perMethod: true,
    labels: ['cause'],
  },
  uncertain: {name: 'tinypb_uncertain_total', help: 'Transactions whose outcome the capture cannot tell, by reason', perMethod: true, labels: ['reason']},
  late: {name: 'tinypb_late_responses_total', help: 'Responses that came after the request was reported unanswered (it stays counted there)', perMethod: true, labels: []},
  duplicates: {name: 'tinypb_duplicate_responses_total', help: 'Responses for a msg_id already answered (rocket re-sends old replies on a reused connection)', perMethod: true, labels: []},
  orphans: {name: 'tinypb_orphan_responses_total', help: 'Responses with no request seen for their msg_id', perMethod: true, labels: []},
  peerSafety: {name: 'tinypb_peer_safety_total', help: 'Frames that would crash or misroute rocket or tinyrpc, by finding', perMethod: true, labels: ['finding']},
  malformed: {name: 'tinypb_malformed_frames_total', help: 'Malformed TinyPB frames, by decoder code (garbage between frames is in tinypb_capture_skipped_bytes_total)', perMethod: false, labels: ['code']},
  staleSockets: {
    name: 'tinypb_stale_server_sockets_total',
    help: "SYNs answered with a challenge ACK by a server socket still open on the same ports (rocket's CLOSE_WAIT sockets); the client reset it and retried",
    perMethod: false,
    labels: [],
  },
  warnings: {name: 'tinypb_warnings_total', help: 'Warnings sniff reported, by code (PEER_SAFETY is counted per frame in tinypb_peer_safety_total)', perMethod: false, labels: ['code']},
} as const satisfies Record<string, {name: string; help: string; perMethod: boolean; labels: readonly string[]}>

export type EventCounter = keyof typeof EVENT_COUNTERS
type ExtraLabels<C extends EventCounter> = (typeof EVENT_COUNTERS)[C]['labels'][number]

/** What one rule does with a matching event. */
export interface RuleEffect<E> {
  readonly when?: (e: E) => boolean
  /** The full method name ("Order.makeOrder") the series is labelled with; per-method counters and the histogram need it. */
  readonly method?: (e: E) => string | undefined
  /** A counter to add one to (once per label set `each` returns, when given). */
  readonly count?: EventCounter
  readonly labels?: (e: E) => Readonly<Record<string, string>>
  readonly each?: (e: E) => ReadonlyArray<Readonly<Record<string, string>>>
  /** A latency to observe in tinypb_request_duration_seconds, in seconds. */
  readonly seconds?: (e: E) => number
}

export interface EventRule {
  readonly event: string
  readonly effect: RuleEffect<never>
}

function rule<T extends string, C extends EventCounter>(
  event: T,
  effect: RuleEffect<EventOf<T>> & {count?: C; labels?: (e: EventOf<T>) => Readonly<Record<ExtraLabels<C>, string>>},
): EventRule {
  return {event, effect: effect as RuleEffect<never>}
}

/** A string field of a loosely typed event (`field(e, 'request', 'method')`), or undefined. */
export function field(e: unknown, ...path: string[]): string | undefined {
  let v: unknown = e
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined
  return typeof v === 'string' ? v : undefined
}

/** err_name is a function of err_code: both labels have the same cap, so they overflow together. */
function errLabels(code: number): {err_code: string; err_name: string} {
  return {err_code: String(code), err_name: describeErrorCode(code)}
}

export const EVENT_RULES: readonly EventRule[] = [
  // Counted as they arrive (the session reports every frame when metrics are on): a rate that does not wait for answers.
  rule('frame', {when: (e) => e.role === 'request', count: 'requests', method: (e) => e.frame.method}),
  // Every frame carries its own findings; the PEER_SAFETY warning is reported once per method.
  rule('frame', {count: 'peerSafety', method: (e) => e.frame.method, each: (e) => (e.frame.findings ?? []).map((f) => ({finding: f.code}))}),
  rule('transaction', {count: 'responses', method: (e) => e.request.method, labels: (e) => errLabels(e.response.errCode)}),
  rule('transaction', {method: (e) => e.request.method, seconds: (e) => e.latencyMs / 1000}),
  rule('transaction', {when: (e) => e.late === true, count: 'late', method: (e) => e.request.method}),
  rule('orphan-response', {count: 'responses', method: (e) => e.response.method, labels: (e) => errLabels(e.response.errCode)}),
  rule('orphan-response', {count: 'orphans', method: (e) => e.response.method}),
  rule('unanswered', {count: 'unanswered', method: (e) => e.request.method, labels: (e) => ({cause: e.causes[0]?.code ?? 'UNKNOWN'})}),
  rule('duplicate-response', {count: 'duplicates', method: (e) => e.response.method}),
  rule('malformed', {when: (e) => e.code !== 'BAD_START', count: 'malformed', labels: (e) => ({code: e.code})}),
  rule('warning', {when: (e) => e.code !== 'PEER_SAFETY', count: 'warnings', labels: (e) => ({code: e.code})}),
  // A call whose outcome the capture cannot tell (a gap, a drop, a truncated packet, a retransmission with other data).
  rule('uncertain', {count: 'uncertain', method: (e) => (e.request ?? e.response)?.method, labels: (e) => ({reason: e.reason})}),
  // rocket's CLOSE_WAIT sockets answering a new connection's SYN with a challenge ACK.
  rule('stale-socket', {count: 'staleSockets'}),
]
