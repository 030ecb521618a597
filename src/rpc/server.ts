import {describeErrorCode, encodedLength, encodeFrame, PK_LEN_AT, START, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {err, type NetError, ok, type Result} from '../errors.js'
import {type Clock, connectionCeiling, type DecodeIssue, formatAddr, type NetAddr, systemClock, TcpServer, TimerQueue, TinyPbCoder} from '../net/index.js'
import type {RpcConnection} from './channel.js'
import {type Dispatch, Dispatcher, type GlobalFaults} from './dispatcher.js'
import {BurstLog, DecadeLog, LOG_PAYLOAD_MAX, payloadHead, wireText} from './log-limits.js'
import {decodeBody} from './message-body.js'
import type {ProtoSchema} from './proto/index.js'
import type {ResponseScript} from './responses.js'
import {Reclaimer} from './reclaim.js'
import {InputGuard, LIMIT_CODES, type LimitClose, type LimitCode, type ServeLimits} from './server-limits.js'

/** At most one log line a second for accept() failures (EMFILE when descriptors run out). */
const ACCEPT_LOG_INTERVAL_MS = 1000
const ACCEPT_WHY: Readonly<Record<string, string>> = {
  EMFILE: 'the process ran out of file descriptors: raise ulimit -n, or fewer clients at once',
  ENFILE: 'the system ran out of file descriptors (fs.file-max)',
  ENOBUFS: 'the kernel ran out of socket buffers',
  ENOMEM: 'the kernel ran out of memory for the socket',
}

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
  /** Input budget across connections and the idle / partial-frame timeout (defaults: 256 MiB, 30 s). */
  readonly limits?: ServeLimits
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
      /** Set when msgId, method or errInfo were cut for the log: the whole field's length in bytes. */
      readonly msgIdBytes?: number
      readonly methodBytes?: number
      readonly errInfoBytes?: number
      readonly request?: unknown
      /** A request pb_data too large to log: its length and first bytes in hex (instead of request). */
      readonly requestBytes?: number
      readonly requestHead?: string
      readonly errCode: number
      readonly errName: string
      readonly errInfo: string
      readonly response?: unknown
      readonly responseBytes?: number
      readonly responseHead?: string
      /** pk_len of the reply frame (0 when none was sent). */
      readonly replyLen: number
      readonly action: ServeAction
      readonly delayMs: number
      readonly rule?: number
      readonly note?: string
    }
  | {
      readonly type: 'malformed'
      readonly time: number
      readonly peer: string
      readonly code: string
      readonly offset: number
      readonly skipped: number
      readonly message: string
      /** Past the first few on a connection, one line stands for this many malformed inputs (this one the last; skipped sums them). */
      readonly count?: number
      /** The connection closed: the last line for it, with what was held back. */
      readonly final?: boolean
    }
  | ({readonly type: 'limit'; readonly time: number; readonly peer: string} & LimitClose)
  | {readonly type: 'accept-error'; readonly time: number; readonly code: string; readonly count: number; readonly message: string}
  | {readonly type: 'connect'; readonly time: number; readonly peer: string}
  | {readonly type: 'disconnect'; readonly time: number; readonly peer: string; readonly bytesIn: number; readonly bytesOut: number; readonly requests: number; readonly error?: string}

export interface ServeStats {
  connections: number
  requests: number
  replies: number
  malformed: number
  /** accept() failures (EMFILE, ENFILE, ...): clients the kernel connected and the server never saw. */
  acceptFailures: number
  /** Connections the server closed by itself, by limit. */
  closedByLimit: Record<LimitCode, number>
  /** The most input buffered across connections at once, in bytes. */
  peakBuffered: number
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
  const dispatcher = new Dispatcher({schema: opts.schema, script: opts.script, faults, decodeRequests: logBodies, decodeLimit: LOG_PAYLOAD_MAX})
  const timers = new TimerQueue(clock)
  const stats: ServeStats = {
    connections: 0,
    requests: 0,
    replies: 0,
    malformed: 0,
    acceptFailures: 0,
    closedByLimit: Object.fromEntries(LIMIT_CODES.map((c) => [c, 0])) as Record<LimitCode, number>,
    peakBuffered: 0,
  }
  const fds = connectionCeiling()
  const maxConnections = opts.limits?.maxConnections ?? fds?.ceiling
  const server = new TcpServer<TinyPbFrame, TinyPbMessage>({coder: () => new TinyPbCoder(), maxConnections})
  const reclaimer = new Reclaimer(timers, clock)
  const guard = new InputGuard(
    opts.limits ?? {},
    timers,
    clock,
    (c, why) => {
      stats.closedByLimit[why.code]++
      onEvent?.({type: 'limit', time: Date.now(), peer: formatAddr(c.remote), ...why})
    },
    (bytes) => reclaimer.release(bytes),
  )
  const acceptLog = new BurstLog<{code: string; message: string}>(ACCEPT_LOG_INTERVAL_MS, timers, clock, (e, count) => {
    onEvent?.({type: 'accept-error', time: Date.now(), code: e.code, count, message: e.message})
  })
  // Short of the descriptor limit, a new client is closed at once (net.Server's maxConnections) and
  // said so. At the limit itself accept() fails with EMFILE and libuv closes the client on a reserved
  // descriptor without a word, which is why the ceiling keeps a headroom.
  server.on('drop', () => {
    stats.acceptFailures++
    const why =
      fds !== undefined && opts.limits?.maxConnections === undefined
        ? `${maxConnections} connections open, the most the file descriptor limit allows (ulimit -n ${fds.limit}, ${fds.open} open at start, ${fds.headroom} kept free): raise ulimit -n`
        : `${maxConnections} connections open (maxConnections)`
    acceptLog.add({code: 'MAX_CONNECTIONS', message: why})
  })
  server.on('error', (e) => {
    stats.acceptFailures++
    const code = (e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.code
    acceptLog.add({code, message: ACCEPT_WHY[code] ?? e.message})
  })

  const maybeShutdown = (c: RpcConnection, st: ConnState) => {
    if (st.peerEnded && st.waiting === 0) c.shutdown()
  }

  const reply = (c: RpcConnection, st: ConnState, d: Dispatch, f: TinyPbFrame) => {
    let action: ServeAction = 'reply'
    let replyLen = 0
    let note = d.note
    if (st.closing || c.state === 'Closed') {
      action = 'dropped'
      note = 'connection closing'
    } else if (d.noReply) {
      action = 'no-reply'
    } else {
      // The client's own bytes echoed: a msg_id that is not UTF-8 goes back as it came.
      const msg = {msgId: f.msgIdBytes, methodName: f.methodNameBytes, errCode: d.errCode, errInfo: d.errInfo, pbData: d.pbData}
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
      // Wire strings and payloads are the client's: cut to their first bytes so one request is one bounded line.
      const msgId = wireText(f.msgIdBytes)
      const method = wireText(f.methodNameBytes)
      const errInfo = wireText(Buffer.from(d.errInfo))
      const requestBig = f.pbDataLen > LOG_PAYLOAD_MAX
      const logResponse = logBodies && d.method !== undefined && action !== 'no-reply' && d.errCode === 0
      const responseBig = d.pbData.length > LOG_PAYLOAD_MAX
      onEvent({
        type: 'request',
        time: Date.now(),
        peer: st.peer,
        msgId: msgId.text,
        ...(msgId.bytes === undefined ? {} : {msgIdBytes: msgId.bytes}),
        method: method.text,
        ...(method.bytes === undefined ? {} : {methodBytes: method.bytes}),
        pkLen: f.pkLen,
        ...(logBodies && requestBig ? {requestBytes: f.pbDataLen, requestHead: payloadHead(f.pbData)} : {}),
        ...(d.request === undefined || requestBig ? {} : {request: d.request}),
        errCode: d.errCode,
        errName: describeErrorCode(d.errCode),
        errInfo: errInfo.text,
        ...(errInfo.bytes === undefined ? {} : {errInfoBytes: errInfo.bytes}),
        ...(logResponse && responseBig ? {responseBytes: d.pbData.length, responseHead: payloadHead(d.pbData)} : {}),
        ...(logResponse && !responseBig ? {response: bodyJson(d.pbData, opts.schema, d)} : {}),
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
    if (f.msgIdLen === 0) {
      // tinyrpc drops a request with an empty msg_id without a word.
      reply(c, st, {errCode: 0, errInfo: '', pbData: new Uint8Array(0), delayMs: 0, noReply: true, note: 'empty msg_id: dropped, as tinyrpc does'}, f)
      return
    }
    const d = dispatcher.dispatch(f.methodName, f.pbData)
    if (d.delayMs > 0 && !d.noReply) {
      st.waiting++
      timers.add(d.delayMs, () => {
        st.waiting--
        reply(c, st, d, f)
        maybeShutdown(c, st)
      })
      return
    }
    reply(c, st, d, f)
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
    const malformedLog = new DecadeLog<DecodeIssue>()
    let lastIssue: DecodeIssue | undefined
    const malformed = (i: DecodeIssue) => {
      stats.malformed++
      lastIssue = i
      const line = malformedLog.add(i, i.skipped)
      if (line === undefined || onEvent === undefined) return
      onEvent({...malformedEvent(st.peer, i), skipped: line.skipped, ...(line.count === undefined ? {} : {count: line.count})})
    }
    c.on('malformed', malformed)
    guard.watch(c, () => st.waiting > 0)
    c.on('peer-end', () => {
      st.peerEnded = true
      maybeShutdown(c, st)
    })
    c.on('close', (info) => {
      // An RST (or any failure) before a FIN leaves a frame cut short: reported as a FIN mid-frame is (TRUNCATED).
      if (!st.peerEnded && info.error !== undefined && c.in.readable > 0) malformed(cutByReset(c, info.bytesIn))
      const rest = malformedLog.finish(lastIssue)
      if (rest !== undefined) onEvent?.({...malformedEvent(st.peer, rest.event), skipped: rest.skipped, count: rest.count, final: true})
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
    get stats() {
      stats.peakBuffered = guard.peak
      return stats
    },
    async close(graceMs = 1000) {
      await server.close(graceMs)
      acceptLog.flush()
      timers.clear()
    },
  })
}

function malformedEvent(peer: string, i: DecodeIssue): Extract<ServeEvent, {type: 'malformed'}> {
  return {type: 'malformed', time: Date.now(), peer, code: i.code, offset: i.offset, skipped: i.skipped, message: i.message}
}

/** The unfinished frame of a connection that was reset, as a malformed input (like TRUNCATED after a FIN). */
function cutByReset(c: RpcConnection, bytesIn: number): DecodeIssue {
  const b = c.in
  const avail = b.readable
  const pkLen = avail >= PK_LEN_AT + 4 && b.buffer[b.readIndex] === START ? b.buffer.readInt32BE(b.readIndex + PK_LEN_AT) : undefined
  const where = pkLen === undefined ? 'a frame header' : `a frame of pk_len ${pkLen}`
  return {kind: 'error', code: 'RESET_MID_FRAME', offset: bytesIn - avail, skipped: avail, message: `connection reset ${avail} bytes into ${where}`}
}

function bodyJson(pbData: Uint8Array, schema: ProtoSchema | undefined, d: Dispatch): unknown {
  return decodeBody(pbData, schema, d.method, 'response').json
}
