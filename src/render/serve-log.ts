import type {ChalkInstance} from 'chalk'

import {displayText} from '../../decoders/string/index.js'

import type {ServeEvent, ServeStats} from '../rpc/server.js'
import type {LimitClose} from '../rpc/server-limits.js'
import {formatBytes} from '../sockets/diagnose.js'
import {epochSecondsFromMs} from './timestamp.js'

/** Local wall-clock time as tcpdump prints it: HH:MM:SS.mmm. */
export function clockTime(ms: number): string {
  const d = new Date(ms)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
}

/** JSON of a decoded payload on one terminal line: its strings came off the wire. */
function compact(v: unknown): string {
  const s = JSON.stringify(v)
  return displayText(s.length > 200 ? s.slice(0, 199) + '…' : s)
}

/**
 * One line per event of `serve`:
 *   12:00:01.234 127.0.0.1:52220 Order.makeOrder msg_id 4599… 70B -> err_code 0 OK 71B rule 1 {"price":100} -> {"order_id":"20230514"}
 * Connects and disconnects are shown only when verbose.
 */
export function renderServeEvent(e: ServeEvent, opts: {colors: ChalkInstance; verbose?: boolean}): string | undefined {
  const c = opts.colors
  const t = c.dim(clockTime(e.time))
  switch (e.type) {
    case 'request': {
      const code = e.errCode === 0 ? c.green(`err_code 0 ${e.errName}`) : c.red(`err_code ${e.errCode} ${e.errName}`)
      const what =
        e.action === 'reply'
          ? `${code}${e.errInfo === '' ? '' : ` ${displayText(JSON.stringify(e.errInfo))}`} ${e.replyLen}B`
          : e.action === 'no-reply'
            ? c.yellow('no reply')
            : e.action === 'closed'
              ? c.yellow('closed mid-reply')
              : c.yellow('dropped')
      // method and msg_id are the client's bytes: escaped so they cannot drive the terminal.
      const parts = [t, e.peer, c.bold(displayText(e.method)), `msg_id ${displayText(e.msgId)}`, `${e.pkLen}B`, '->', what]
      if (e.delayMs > 0) parts.push(c.dim(`after ${e.delayMs} ms`))
      if (e.rule !== undefined) parts.push(c.dim(`rule ${e.rule}`))
      if (e.note !== undefined) parts.push(c.dim(`(${displayText(e.note)})`))
      if (e.request !== undefined) parts.push(compact(e.request))
      if (e.requestBytes !== undefined) parts.push(c.dim(`request ${e.requestBytes} bytes: ${e.requestHead}…`))
      if (e.response !== undefined) parts.push('->', compact(e.response))
      if (e.responseBytes !== undefined) parts.push('->', c.dim(`response ${e.responseBytes} bytes: ${e.responseHead}…`))
      return parts.join(' ')
    }
    case 'malformed': {
      const what = `${t} ${e.peer} ${c.yellow(`malformed input ${e.code}${e.count === undefined ? '' : ` ×${e.count}`}`)}: ${displayText(e.message)}`
      if (e.count === undefined) return `${what} (${e.skipped} bytes skipped at stream offset ${e.offset})`
      const since = e.final ? 'held back until the connection closed' : 'since the previous line'
      return `${what} (the last of ${e.count} ${since}, at stream offset ${e.offset}; ${e.skipped} bytes skipped)`
    }
    case 'limit':
      return `${t} ${e.peer} ${c.yellow(`closed (${e.code})`)}: ${describeLimit(e)}`
    case 'accept-error':
      return `${t} ${c.yellow(`accept failed (${e.code})`)}: ${e.count} connection(s) dropped since the previous line (${e.message})`
    case 'connect':
      return opts.verbose ? `${t} ${e.peer} ${c.dim('connected')}` : undefined
    case 'disconnect':
      return opts.verbose
        ? `${t} ${e.peer} ${c.dim(`closed after ${e.requests} request(s), ${e.bytesIn}B in, ${e.bytesOut}B out`)}${e.error === undefined ? '' : ` ${c.yellow(e.error)}`}`
        : undefined
  }
}

/** Why serve closed a connection by itself, in words. */
export function describeLimit(e: LimitClose): string {
  const frame = e.pkLen === undefined ? undefined : `pk_len ${e.pkLen}`
  switch (e.code) {
    case 'IDLE_TIMEOUT':
      return `silent for ${e.limit} ms (--idle-timeout)`
    case 'FRAME_TIMEOUT':
      return frame === undefined
        ? `${e.received} bytes that did not become a frame (garbage, or a header cut short) in ${e.limit} ms (--idle-timeout)`
        : `an unfinished frame (${frame}, ${e.received} bytes of it received) did not complete within ${e.limit} ms (--idle-timeout)`
    case 'BUFFER_BUDGET':
      return (
        `held ${formatBytes(e.buffered)} of ${frame === undefined ? 'unfinished input' : `an unfinished frame (${frame})`}, the most of ` +
        `${e.connections ?? '?'} connection(s) holding ${formatBytes(e.totalBuffered ?? 0)}, over --max-buffered ${formatBytes(e.limit)}`
      )
  }
}

/** `serve --json`: one NDJSON object per event, `ts` in epoch seconds as sniff --json has it (src/render/timestamp.ts); a limit event carries its words too. */
export function serveEventToJson(e: ServeEvent): string {
  const {type, time, ...rest} = e
  return JSON.stringify({type, ts: epochSecondsFromMs(time), ...rest, ...(e.type === 'limit' ? {message: describeLimit(e)} : {})})
}

/** The line serve ends with: what it served, and what it refused or closed by itself. */
export function renderServeSummary(signal: string, s: ServeStats): string {
  const parts = [`stopped on ${signal}: ${s.connections} connection(s), ${s.requests} request(s), ${s.replies} repl(ies), ${s.malformed} malformed`]
  const limits = Object.entries(s.closedByLimit).filter(([, n]) => n > 0)
  if (limits.length > 0) parts.push(`closed by limits: ${limits.map(([code, n]) => `${n} ${code}`).join(', ')}`)
  if (s.acceptFailures > 0) parts.push(`${s.acceptFailures} accept failure(s)`)
  parts.push(`peak input buffered ${formatBytes(s.peakBuffered)}`)
  return parts.join('; ')
}
