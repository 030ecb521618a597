import {describeErrorCode, encodeFrame, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import type {NetError} from '../errors.js'
import {type Clock, DEFAULT_TIMEOUT_MS, type DecodeIssue, deadlineIn, formatAddr, type NetAddr, systemClock, TcpClient, TinyPbCoder} from '../net/index.js'
import {type PreparedCall, preparedWarnings} from './call-prepare.js'
import {RpcChannel, type StrayResponse} from './channel.js'
import {RpcController} from './controller.js'
import {unansweredCallCauses} from './diagnose.js'
import {decodeBody, type MessageBody} from './message-body.js'
import {MsgIdGenerator} from './msg-id.js'
import {replyArrivals} from './reply-arrivals.js'

export interface RunCallOptions {
  readonly addr: NetAddr
  readonly prepared: PreparedCall
  /** Budget for the whole call, connect included (default DEFAULT_TIMEOUT_MS). */
  readonly timeoutMs?: number
  /** Budget for the TCP handshake alone (default: the call's). */
  readonly connectTimeoutMs?: number
  readonly clock?: Clock
  readonly msgIds?: MsgIdGenerator
}

export type CallStatus = 'ok' | 'server-error' | 'transport-error'

export interface CallResult {
  /** ok: err_code 0; server-error: err_code != 0 (exit 3); transport-error: no answer (exit 1). */
  readonly status: CallStatus
  readonly method: string
  readonly msgId: string
  readonly peer: string
  readonly local?: string
  readonly request: {readonly frame: Buffer; readonly json?: Record<string, unknown>}
  readonly response?: {
    readonly frame: TinyPbFrame
    readonly errCode: number
    /** ERROR_METHOD_NOT_FOUND and the like, "OK", or "application error N". */
    readonly errName: string
    readonly errInfo: string
    readonly body: MessageBody
    /** The response's method_name when it differs from the request's. */
    readonly methodMismatch?: string
  }
  /** Why there is no response, with the likely causes for rocket and tinyrpc. */
  readonly error?: NetError
  readonly causes: readonly string[]
  /** ms from the start of the call: handshake done, first response byte, call finished. */
  readonly timings: {readonly connectMs?: number; readonly firstByteMs?: number; readonly totalMs: number}
  readonly strays: readonly StrayResponse[]
  /** Garbage and cut-off frames seen on the connection. */
  readonly malformed: readonly DecodeIssue[]
  readonly warnings: readonly string[]
}

/**
 * One call, the way rocket's client makes it: a fresh connection, one request,
 * the response paired by msg_id, then our FIN. Never throws: every failure is
 * in the result.
 */
export async function runCall(opts: RunCallOptions): Promise<CallResult> {
  const clock = opts.clock ?? systemClock
  const p = opts.prepared
  const msgId = p.msgId ?? (opts.msgIds ?? new MsgIdGenerator()).next()
  const startedAt = clock.now()
  // The user's clock starts now: connect, send and the wait share this one deadline.
  const deadline = deadlineIn(clock, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  const requestFrame = encodeFrame({msgId, methodName: p.wireName, pbData: p.pbData})
  const client = new TcpClient<TinyPbFrame, TinyPbMessage>(opts.addr, {
    coder: () => new TinyPbCoder(),
    connectTimeoutMs: opts.connectTimeoutMs,
    clock,
  })
  const base = {method: p.wireName, msgId, peer: formatAddr(opts.addr), request: {frame: requestFrame, json: p.requestJson}}
  const warnings = preparedWarnings(p)

  const conn = await client.connect(deadline)
  if (!conn.ok) {
    return {
      ...base,
      status: 'transport-error',
      error: conn.error,
      causes: [],
      timings: {totalMs: clock.now() - startedAt},
      strays: [],
      malformed: [],
      warnings,
    }
  }
  const channel = new RpcChannel(conn.value.connection, {clock})
  const timed = new RpcController(msgId, deadline, startedAt)
  timed.times.connectedAt = startedAt + conn.value.connectMs
  timed.local = conn.value.connection.local
  timed.peer = conn.value.connection.remote
  await channel.call(timed, p.wireName, p.pbData)
  // A bad frame is reported when the decoder's resync past it ends: a call that stops waiting asks for it.
  const stillSkipping = conn.value.connection.pendingIssue
  // Closing is our FIN, as with rocket's client, which always closes first.
  channel.destroy()
  const malformed = stillSkipping === undefined ? channel.issues : [...channel.issues, stillSkipping]

  const t = timed.times
  const timings = {
    connectMs: timed.since(t.connectedAt),
    firstByteMs: timed.since(t.firstByteAt),
    totalMs: (t.finishedAt ?? clock.now()) - t.startedAt,
  }
  const common = {
    ...base,
    local: timed.local === undefined ? undefined : formatAddr(timed.local),
    timings,
    strays: channel.strays,
    malformed,
    warnings,
  }
  if (timed.error !== undefined || timed.response === undefined) {
    const error = timed.error!
    const waited = error.code === 'CALL_TIMEOUT' ? `within ${timed.timeoutMs} ms` : 'before the connection closed'
    const arrived = replyArrivals(p.wireName, msgId, waited, error, {malformed, strays: channel.strays})
    if (arrived !== undefined) return {...common, status: 'transport-error', error: arrived.error, causes: arrived.causes}
    const causes = unansweredCallCauses(p, [error.code], channel.cutMidFrame)
    return {...common, status: 'transport-error', error, causes}
  }
  const f = timed.response
  return {
    ...common,
    status: f.errCode === 0 ? 'ok' : 'server-error',
    causes: [],
    response: {
      frame: f,
      errCode: f.errCode,
      errName: describeErrorCode(f.errCode),
      errInfo: f.errInfo,
      body: decodeBody(f.pbData, p.schema, p.method, 'response'),
      ...(timed.methodMismatch === undefined ? {} : {methodMismatch: timed.methodMismatch}),
    },
  }
}
