import type {ChalkInstance} from 'chalk'

import {displayText} from '../../decoders/string/index.js'

import type {ServeEvent} from '../rpc/server.js'
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
      if (e.response !== undefined) parts.push('->', compact(e.response))
      return parts.join(' ')
    }
    case 'malformed':
      return `${t} ${e.peer} ${c.yellow(`malformed input ${e.code}`)}: ${displayText(e.message)} (${e.skipped} bytes skipped at stream offset ${e.offset})`
    case 'connect':
      return opts.verbose ? `${t} ${e.peer} ${c.dim('connected')}` : undefined
    case 'disconnect':
      return opts.verbose
        ? `${t} ${e.peer} ${c.dim(`closed after ${e.requests} request(s), ${e.bytesIn}B in, ${e.bytesOut}B out`)}${e.error === undefined ? '' : ` ${c.yellow(e.error)}`}`
        : undefined
  }
}

/** `serve --json`: one NDJSON object per event, `ts` in epoch seconds as sniff --json has it (src/render/timestamp.ts). */
export function serveEventToJson(e: ServeEvent): string {
  const {type, time, ...rest} = e
  return JSON.stringify({type, ts: epochSecondsFromMs(time), ...rest})
}
