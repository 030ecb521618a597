// sniff for humans: one line per transaction (or frame, chunk, anomaly):
// time, client -> server, method, msg_id, size, latency, status. -v adds the
// decoded payloads and connection lines, -x the frames' hex.
//
// Method names, msg_ids, err_info, payload strings and the messages that quote
// them come off the wire: every one goes through displayText (or quoted()), so
// a frame cannot move the cursor, clear the screen or reorder the line.

import type {ChalkInstance} from 'chalk'

import {describeChunk} from '../chunk-view.js'
import {hexdump} from '../hexdump.js'
import {displayText, quoteBytes} from '../../../decoders/string/index.js'
import {type FrameInfo, type PayloadResult, type SniffEvent, UNANSWERED_REASON_TEXT, UNCERTAIN_LABEL} from '../../sniff/index.js'
import {durationText} from '../../stats/duration.js'
import {fitLine, wrapLine} from '../fit-width.js'
import {type CaptureTimeFormat, flowText} from './format.js'

export interface SniffHumanOptions {
  readonly colors: ChalkInstance
  readonly clock: CaptureTimeFormat
  /** -v: payloads, connection open/close, every cause in full. */
  readonly verbose?: boolean
  /** -x: hex dump of each frame (or chunk). */
  readonly hex?: boolean
  /** Columns to fit (a terminal's width); undefined: full lines, as a pipe gets. */
  readonly width?: number
}

/** Events whose line is prose: wrapped onto indented lines rather than elided. */
const PROSE = new Set<SniffEvent['type']>(['warning', 'malformed', 'gap', 'uncertain', 'orphan-response', 'duplicate-response', 'stale-socket', 'connection'])

const INDENT = '    '

/** A wire string in double quotes, escaped for one terminal line. */
function quoted(s: string): string {
  return displayText(JSON.stringify(s))
}

/** The method and #msg_id of a frame; `plain` when colors are off (chalk would return the text as it is, at a cost per call). */
function callText(f: FrameInfo, c: ChalkInstance, plain = false): string {
  if (plain) return `${displayText(f.method)} #${displayText(f.msgId)}`
  return `${c.bold(displayText(f.method))} ${c.dim('#' + displayText(f.msgId))}`
}

export class SniffHumanRenderer {
  /** No colors: the transaction line, nearly every line printed, skips chalk altogether. */
  private readonly plain: boolean

  constructor(private readonly opts: SniffHumanOptions) {
    this.plain = opts.colors.level === 0
  }

  render(e: SniffEvent): string[] {
    const lines = this.lines(e)
    const w = this.opts.width
    if (w === undefined || lines.length === 0) return lines
    const [first, ...rest] = lines
    // The call line keeps every field, each shortened in its middle; prose and details wrap.
    const head = PROSE.has(e.type) ? wrapLine(first, w, INDENT) : [fitLine(first, w)]
    return [...head, ...rest.flatMap((l) => wrapLine(l, w, INDENT + '  '))]
  }

  private lines(e: SniffEvent): string[] {
    const c = this.opts.colors
    const head = `${this.opts.clock.clock(e.t)} ${e.conn === undefined ? '-' : flowText(e.conn)}`
    switch (e.type) {
      case 'transaction': {
        const status =
          e.status === 'ok'
            ? this.plain
              ? 'OK'
              : c.green('OK')
            : c.red(`ERR ${e.response.errCode} ${e.errName}`) + (e.response.errInfo === '' ? '' : ` ${quoted(e.response.errInfo)}`)
        const late = e.late ? c.yellow(' LATE (reported unanswered at --timeout)') : ''
        const line = `${head} ${callText(e.request, c, this.plain)} ${e.request.size}B/${e.response.size}B ${durationText(e.latencyMs)} ${status}${late}`
        // The line of nearly every event: no detail arrays to make and spread without -v or -x.
        if (!this.opts.verbose && !this.opts.hex) return [line]
        return [line, ...this.details('request', e.request), ...this.details('response', e.response)]
      }
      case 'unanswered': {
        const line = `${head} ${callText(e.request, c)} ${e.request.size}B ${c.red('UNANSWERED')} after ${durationText(e.waitedMs)} (${UNANSWERED_REASON_TEXT[e.reason]})`
        const causes = e.causes.map((cause, i) => `${INDENT}${i === 0 ? 'likely:' : '    or:'} ${displayText(cause.message)}`)
        return [line, ...(this.opts.verbose ? causes : causes.slice(0, 3)), ...this.details('request', e.request)]
      }
      case 'duplicate-response': {
        const ago = durationText(e.t - e.firstAnsweredAt)
        const line = `${head} ${callText(e.response, c)} ${e.response.size}B ${c.magenta('DUPLICATE REPLY')} (reply ${e.count}, first ${ago} earlier): rocket re-sends earlier replies on a reused connection`
        return [line, ...this.details('response', e.response)]
      }
      case 'orphan-response':
        return [`${head} ${callText(e.response, c)} ${e.response.size}B ${c.yellow('REPLY WITHOUT REQUEST')}: ${e.note}`, ...this.details('response', e.response)]
      case 'uncertain': {
        const f = e.request ?? e.response!
        const sizes = e.request !== undefined && e.response !== undefined ? `${e.request.size}B/${e.response.size}B ${durationText(e.latencyMs!)}` : `${f.size}B`
        const waited = e.waitedMs === undefined ? '' : ` after ${durationText(e.waitedMs)}`
        const line = `${head} ${callText(f, c)} ${sizes} ${c.yellow(`UNCERTAIN (${UNCERTAIN_LABEL[e.reason]})`)}${waited}: ${e.note}`
        return [line, ...(e.request === undefined ? [] : this.details('request', e.request)), ...(e.response === undefined ? [] : this.details('response', e.response))]
      }
      case 'stale-socket':
        return this.opts.verbose ? [c.dim(`${head} connection #${e.conn.id}: ${e.message}`)] : []
      case 'frame': {
        const arrow = e.role === 'request' ? '>' : '<'
        const err = e.frame.errCode === 0 ? '' : ' ' + c.red(`err_code ${e.frame.errCode}`) + (e.frame.errInfo === '' ? '' : ` ${quoted(e.frame.errInfo)}`)
        return [`${head} ${arrow} ${e.role} ${callText(e.frame, c)} ${e.frame.size}B${err}`, ...this.details(e.role, e.frame)]
      }
      case 'malformed': {
        const what = e.code === 'BAD_START' ? c.red(`GARBAGE: ${e.skipped} bytes skipped`) : c.red(`MALFORMED ${e.code}`) + `: ${displayText(e.message)}; ${e.skipped} bytes skipped`
        return [`${head} ${e.from} ${what} at stream offset ${e.offset}`]
      }
      case 'gap': {
        const cut = e.dropped > 0 ? `; ${e.dropped} bytes of a frame it cut were dropped` : ''
        const lost = e.cause === 'truncated' ? `the capture kept only part of a packet: ${e.missing} bytes missing (snap length)` : `the capture lost ${e.missing} bytes`
        return [`${head} ${e.from} ${c.yellow('GAP')}: ${lost}${cut}; resyncing`]
      }
      case 'chunk': {
        const arrow = e.from === 'client' ? '>' : '<'
        const line = `${head} ${arrow} ${e.bytes.length}B ${quoteBytes(e.bytes, 64)}`
        if (!this.opts.verbose && !this.opts.hex) return [line]
        const view = this.opts.hex ? {lines: hexdump(e.bytes)} : describeChunk(e.bytes)
        return [line, ...view.lines.map((l) => INDENT + l)]
      }
      case 'warning':
        // The message may quote a method name or msg_id (DUPLICATE_MSG_ID, METHOD_MISMATCH, PEER_SAFETY...).
        return [`${head} ${c.yellow('WARNING')} ${e.code}: ${displayText(e.message)}`]
      case 'connection':
        if (!this.opts.verbose) return []
        if (e.state === 'open') return [c.dim(`${head} connection #${e.conn.id} opened${e.conn.midstream ? ' (already open when the capture started)' : ''}`)]
        if (e.state === 'fin') return [c.dim(`${head} connection #${e.conn.id}: the ${e.from} sent FIN`)]
        return [
          c.dim(`${head} connection #${e.conn.id} closed (${e.reason}${e.resetBy === undefined ? '' : ` by the ${e.resetBy}`}): ${e.packets} packets, ${e.bytes} payload bytes, ${durationText(e.durationMs)}`),
        ]
    }
  }

  /** -v payload and -x hex lines for one frame. */
  private details(role: 'request' | 'response', f: FrameInfo): string[] {
    const out: string[] = []
    if (this.opts.verbose && f.payload !== undefined) out.push(...payloadLines(role, f.payload, this.opts.colors))
    if (this.opts.hex && f.bytes !== undefined) {
      out.push(`${INDENT}${role} frame, ${f.size} bytes:`)
      for (const l of hexdump(f.bytes)) out.push(INDENT + '  ' + l)
    }
    return out
  }
}

/** A decoded payload: one JSON line with a schema, protoc --decode_raw lines without. */
export function payloadLines(role: string, p: PayloadResult, c: ChalkInstance): string[] {
  const label = `${INDENT}${role.padEnd(8)}`
  if (p.ok && p.schema === 'proto') {
    const unknown = p.unknownFields > 0 ? c.yellow(` (${p.unknownFields} fields the .proto does not define)`) : ''
    return [`${label} ${displayText(JSON.stringify(p.json))}${unknown}`]
  }
  if (p.ok) {
    if (p.lines.length === 0) return [`${label} ${c.dim('(empty message)')}`]
    return [`${label} ${c.dim('(no .proto: fields by number)')}`, ...p.lines.map((l) => `${INDENT}  ${l}`)]
  }
  const out = [`${label} ${c.yellow(`payload not decoded: ${displayText(p.message)}`)}`]
  if (p.raw !== undefined) out.push(...p.raw.lines.map((l) => `${INDENT}  ${l}`))
  return out
}
