import {describeErrorCode, encodedLength, encodeFrame, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {err, type NetError, ok, type Result} from '../errors.js'
import {type Clock, formatAddr, type NetAddr, systemClock, TcpServer, TimerQueue, TinyPbCoder} from '../net/index.js'
import type {RpcConnection} from './channel.js'
import {type Dispatch, Dispatcher, type GlobalFaults} from './dispatcher.js'
import {decodeBody} from './message-body.js'
import type {ProtoSchema} from './proto/index.js'
import type {ResponseScript} from './responses.js'

export interface ServeFaults extends GlobalFaults {
  /** Write only this many reply bytes on a connection, then close it (FIN): the client sees a frame cut short. */
  readonly closeAfterBytes?: number
  /** Re-send every earlier reply of the connection before each new one, as rocket does on a reused connection. */
  readonly resendReplies?: boolean
}

/** Earlier replies kept per connection for resendReplies (rocket keeps them all). */
const RESEND_LIMIT = 1000

export interface ServeOptions {
  readonly host?: string
  /** 0 picks a free port; the handle tells which. */
  readonly port?: number
  readonly schema?: ProtoSchema
  readonly script?: ResponseScript
  readonly faults?: ServeFaults
  /** Receives one event per request, malformed input, connect and disconnect. */
  readonly onEvent?: (e: ServeEvent) => void
  /** Put request and response JSON in request events (costs a decode per request). */
  readonly logBodies?: boolean
  readonly clock?: Clock
}

export type ServeAction = 'reply' | 'no-reply' | 'dropped' | 'closed'

export type ServeEvent =
  | {
      readonly type: 'request'
      /** Wall clock, ms since the epoch. */
      readonly time: number
      readonly peer: string
      readonly msgId: string
      readonly method: string
      /** pk_len of the request frame. */
      readonly pkLen: number
      readonly request?: unknown
      readonly errCode: number
      readonly errName: string
      readonly errInfo: string
      readonly response?: unknown
      /** pk_len of the reply frame (0 when none was sent). */
      readonly replyLen: number
      readonly action: ServeAction
      readonly delayMs: number
      readonly rule?: number
      readonly note?: string
    }
  | {readonly type: 'malformed'; readonly time: number; readonly peer: string; readonly code: string; readonly offset: number; readonly skipped: number; readonly message: string}
  | {readonly type: 'connect'; readonly time: number; readonly peer: string}
  | {readonly type: 'disconnect'; readonly time: number; readonly peer: string; readonly bytesIn: number; readonly bytesOut: number; readonly requests: number; readonly error?: string}

export interface ServeStats {
  connections: number
  requests: number
  replies: number
  malformed: number
}

export interface ServerHandle {
  readonly address: NetAddr
  readonly stats: Readonly<ServeStats>
  /** Stop accepting, let replies in flight go out, half-close, destroy what lingers after graceMs. */
  close(graceMs?: number): Promise<void>
}

/** Per-connection bookkeeping. */
interface ConnState {
  readonly peer: string
  requests: number
  /** Reply bytes written, for --close-after-bytes. */
  written: number
  /** Replies sent so far, for resendReplies. */
  readonly history: Buffer[]
  /** Delayed replies not yet written. */
  waiting: number
  peerEnded: boolean
  closing: boolean
}

/**
 * The embedded TinyPB server: TcpServer, one TinyPbCoder per connection, the
 * Dispatcher, fault injection. Malformed input is reported and skipped (the
 * stream decoder resyncs at the next 0x02), never fatal. Like tinyrpc it
 * answers on the connection the request came in on, handles pipelined frames,
 * and closes its side after the client's FIN once its replies are out.
 */
export async function startServer(opts: ServeOptions): Promise<Result<ServerHandle, NetError>> {
  const clock = opts.clock ?? systemClock
  const faults = opts.faults ?? {}
  const onEvent = opts.onEvent
  const logBodies = opts.logBodies === true && onEvent !== undefined
  const dispatcher = new Dispatcher({schema: opts.schema, script: opts.script, faults, decodeRequests: logBodies})
  const timers = new TimerQueue(clock)
  const stats: ServeStats = {connections: 0, requests: 0, replies: 0, malformed: 0}
  const server = new TcpServer<TinyPbFrame, TinyPbMessage>({coder: () => new TinyPbCoder()})

  const maybeShutdown = (c: RpcConnection, st: ConnState) => {
    if (st.peerEnded && st.waiting === 0) c.shutdown()
  }

  const reply = (c: RpcConnection, st: ConnState, d: Dispatch, msgId: string, method: string, pkLen: number) => {
    let action: ServeAction = 'reply'
    let replyLen = 0
    let note = d.note
    if (st.closing || c.state === 'Closed') {
      action = 'dropped'
      note = 'connection closing'
    } else if (d.noReply) {
      action = 'no-reply'
    } else {
      const msg = {msgId, methodName: method, errCode: d.errCode, errInfo: d.errInfo, pbData: d.pbData}
      replyLen = encodedLength(msg)
      const limit = faults.closeAfterBytes
      if (limit !== undefined && st.written + replyLen > limit) {
        const part = Math.max(0, limit - st.written)
        if (part > 0) c.sendRaw(encodeFrame(msg).subarray(0, part))
        st.written += part
        st.closing = true
        c.shutdown()
        action = 'closed'
        note = `closed after ${limit} reply bytes (--close-after-bytes): ${part} of ${replyLen} bytes of this reply sent`
      } else if (faults.resendReplies) {
        // rocket never consumes its out buffer: each write carries every earlier reply again.
        st.history.push(encodeFrame(msg))
        if (st.history.length > RESEND_LIMIT) st.history.shift()
        const all = Buffer.concat(st.history)
        c.sendRaw(all)
        st.written += all.length
        stats.replies++
        if (st.history.length > 1) note = `re-sent ${st.history.length - 1} earlier repl${st.history.length === 2 ? 'y' : 'ies'} first (--resend-replies)`
      } else {
        c.send(msg)
        st.written += replyLen
        stats.replies++
      }
    }
    if (onEvent !== undefined) {
      onEvent({
        type: 'request',
        time: Date.now(),
        peer: st.peer,
        msgId,
        method,
        pkLen,
        ...(d.request === undefined ? {} : {request: d.request}),
        errCode: d.errCode,
        errName: describeErrorCode(d.errCode),
        errInfo: d.errInfo,
        ...(logBodies && d.method !== undefined && action !== 'no-reply' && d.errCode === 0
          ? {response: bodyJson(d.pbData, opts.schema, d)}
          : {}),
        replyLen,
        action,
        delayMs: d.delayMs,
        ...(d.rule === undefined ? {} : {rule: d.rule}),
        ...(note === undefined ? {} : {note}),
      })
    }
  }

  const onRequest = (c: RpcConnection, st: ConnState, f: TinyPbFrame) => {
    stats.requests++
    st.requests++
    const msgId = f.msgId
    const method = f.methodName
    const pkLen = f.pkLen
    if (f.msgIdLen === 0) {
      // tinyrpc drops a request with an empty msg_id without a word.
      reply(c, st, {errCode: 0, errInfo: '', pbData: new Uint8Array(0), delayMs: 0, noReply: true, note: 'empty msg_id: dropped, as tinyrpc does'}, msgId, method, pkLen)
      return
    }
    const d = dispatcher.dispatch(method, f.pbData)
    if (d.delayMs > 0 && !d.noReply) {
      st.waiting++
      timers.add(d.delayMs, () => {
        st.waiting--
        reply(c, st, d, msgId, method, pkLen)
        maybeShutdown(c, st)
      })
      return
    }
    reply(c, st, d, msgId, method, pkLen)
  }

  server.on('connection', (c) => {
    stats.connections++
    const st: ConnState = {peer: formatAddr(c.remote), requests: 0, written: 0, history: [], waiting: 0, peerEnded: false, closing: false}
    onEvent?.({type: 'connect', time: Date.now(), peer: st.peer})
    c.on('message', (f) => {
      try {
        onRequest(c, st, f)
      } catch (e) {
        // A bug of ours must not take the server down with every client on it.
        onEvent?.({type: 'malformed', time: Date.now(), peer: st.peer, code: 'INTERNAL', offset: 0, skipped: 0, message: (e as Error).message})
      }
    })
    c.on('malformed', (i) => {
      stats.malformed++
      onEvent?.({type: 'malformed', time: Date.now(), peer: st.peer, code: i.code, offset: i.offset, skipped: i.skipped, message: i.message})
    })
    c.on('peer-end', () => {
      st.peerEnded = true
      maybeShutdown(c, st)
    })
    c.on('close', (info) => {
      onEvent?.({
        type: 'disconnect',
        time: Date.now(),
        peer: st.peer,
        bytesIn: info.bytesIn,
        bytesOut: info.bytesOut,
        requests: st.requests,
        ...(info.error === undefined ? {} : {error: info.error.message}),
      })
    })
  })

  const listening = await server.listen(opts.host ?? '127.0.0.1', opts.port ?? 0)
  if (!listening.ok) return err(listening.error)
  return ok({
    address: listening.value,
    stats,
    async close(graceMs = 1000) {
      timers.clear()
      await server.close(graceMs)
    },
  })
}

function bodyJson(pbData: Uint8Array, schema: ProtoSchema | undefined, d: Dispatch): unknown {
  return decodeBody(pbData, schema, d.method, 'response').json
}
