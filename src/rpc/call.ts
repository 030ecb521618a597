import {describeErrorCode, encodeFrame, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {NetError} from '../errors.js'
import {type Clock, type DecodeIssue, formatAddr, type NetAddr, systemClock, TcpClient, TinyPbCoder} from '../net/index.js'
import {type PreparedCall, preparedWarnings} from './call-prepare.js'
import {RpcChannel, type StrayResponse} from './channel.js'
import {RpcController} from './controller.js'
import {unansweredCallCauses} from './diagnose.js'
import {decodeBody, type MessageBody} from './message-body.js'
import {MsgIdGenerator} from './msg-id.js'

export interface RunCallOptions {
  readonly addr: NetAddr
  readonly prepared: PreparedCall
  /** Deadline for the whole call, connect included (default 5000 ms). */
  readonly timeoutMs?: number
  /** Deadline for the TCP handshake alone (default: the call's). */
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
  const timeoutMs = opts.timeoutMs ?? 5000
  const msgId = p.msgId ?? (opts.msgIds ?? new MsgIdGenerator()).next()
  const startedAt = clock.now()
  const requestFrame = encodeFrame({msgId, methodName: p.wireName, pbData: p.pbData})
  const client = new TcpClient<TinyPbFrame, TinyPbMessage>(opts.addr, {
    coder: () => new TinyPbCoder(),
    connectTimeoutMs: Math.min(opts.connectTimeoutMs ?? timeoutMs, timeoutMs),
    clock,
  })
  const base = {method: p.wireName, msgId, peer: formatAddr(opts.addr), request: {frame: requestFrame, json: p.requestJson}}
  const warnings = preparedWarnings(p)

  const conn = await client.connect()
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
  // The call's deadline covers the handshake: what is left of it is the wait for the answer.
  const timed = new RpcController(msgId, Math.max(1, timeoutMs - conn.value.connectMs), startedAt)
  timed.times.connectedAt = startedAt + conn.value.connectMs
  timed.local = conn.value.connection.local
  timed.peer = conn.value.connection.remote
  await channel.call(timed, p.wireName, p.pbData)
  // Closing is our FIN, as with rocket's client, which always closes first.
  channel.destroy()

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
    malformed: channel.issues,
    warnings,
  }
  if (timed.error !== undefined || timed.response === undefined) {
    // The channel waited for what was left after connecting; the user thinks in --timeout.
    const error =
      timed.error!.code === 'CALL_TIMEOUT'
        ? new NetError('CALL_TIMEOUT', `no response to ${p.wireName} (msg_id ${msgId}) within ${timeoutMs} ms`, {errCode: timed.error!.errCode})
        : timed.error!
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
