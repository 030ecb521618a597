import type {ChalkInstance} from 'chalk'

import {displayText} from '../../../decoders/string/index.js'

import {countChanges, type SocketChange, type UnixSocketChange} from '../../sockets/diff.js'
import {formatEndpoint} from '../../sockets/proc-addr.js'
import type {SocketsReport} from '../../sockets/report.js'
import type {SocketRow} from '../../sockets/types.js'
import type {WatchTick} from '../../sockets/watch.js'
import {renderListenerGroups} from './groups.js'
import {renderDiagnoses, renderSocketSummary} from './summary.js'
import {ownersText, pidMissingText, renderSocketRows, renderUnixRows, stateColor} from './table.js'

export interface SocketsRenderOptions {
  /** False when only Unix sockets were asked for: no TCP/UDP lines in the summary. */
  readonly inet?: boolean
  /** Print the table of sockets (default true); the demo may want only groups and summary. */
  readonly table?: boolean
  /** Cap on table rows; the summary still counts all (default: no cap). */
  readonly maxRows?: number
  /** Uid and inode columns (ss -e). */
  readonly extended?: boolean
}

/**
 * The whole human view: table (or TinyPB groups), Unix sockets, the summary,
 * then the warnings in words and what limited the snapshot. The demo command
 * prints this for its port.
 */
export function renderSocketsReport(report: SocketsReport, c: ChalkInstance, opts: SocketsRenderOptions = {}): string[] {
  const lines: string[] = []
  const inet = report.sockets
  if (report.groups !== undefined) {
    lines.push(...renderListenerGroups(report.groups, c, {filter: report.filter}), '')
  } else if (opts.table !== false) {
    if (inet.length === 0 && report.unix === undefined) lines.push(c.dim(`No sockets match (${report.filter}).`))
    else if (inet.length > 0) {
      const shown = opts.maxRows === undefined ? inet : inet.slice(0, opts.maxRows)
      lines.push(...renderSocketRows(shown, c, {}, {extended: opts.extended}))
      if (shown.length < inet.length) lines.push(c.dim(`... ${inet.length - shown.length} more rows (see --json)`))
    }
    if (lines.length > 0) lines.push('')
  }
  if (report.unix !== undefined) {
    lines.push(...(report.unix.length === 0 ? [c.dim('No Unix sockets match.')] : renderUnixRows(report.unix, c)), '')
  }
  lines.push(...renderSocketSummary(report.summary, c, {inet: opts.inet}))
  const diag = renderDiagnoses(report.warnings, c)
  if (diag.length > 0) lines.push('', ...diag)
  for (const n of report.notes) lines.push(c.dim(`(${n})`))
  return lines
}

function rowText(r: SocketRow): string {
  const proto = r.family === 6 ? `${r.protocol}6` : r.protocol
  const who = r.pidMissing === null ? ownersText(r.owners) : pidMissingText(r.pidMissing, r.uid, r.state)
  return `${proto} ${formatEndpoint(r.localAddress, r.localPort)} -> ${formatEndpoint(r.peerAddress, r.peerPort)} ${who}`
}

/**
 * One line per change, like a diff: "+" new, "-" closed, "~" state change.
 *   + tcp 127.0.0.1:51234 -> 127.0.0.1:12345 77/node [ESTABLISHED]
 *   ~ tcp 127.0.0.1:12345 -> 127.0.0.1:51234 4321/rocket_server ESTABLISHED -> CLOSE-WAIT
 */
export function renderChanges(changes: readonly SocketChange[], unixChanges: readonly UnixSocketChange[], c: ChalkInstance): string[] {
  const lines: string[] = []
  const order = {state: 0, new: 1, closed: 2}
  for (const ch of [...changes].sort((a, b) => order[a.kind] - order[b.kind])) {
    if (ch.kind === 'new') lines.push(`${c.green('+')} ${rowText(ch.row)} ${c.dim(`[${ch.row.state}]`)}`)
    else if (ch.kind === 'closed') lines.push(`${c.red('-')} ${rowText(ch.row)} ${c.dim(`[${ch.row.state}]`)}`)
    else lines.push(`${c.yellow('~')} ${rowText(ch.row)} ${stateColor(c, ch.from)} -> ${stateColor(c, ch.row.state)}`)
  }
  for (const ch of unixChanges) {
    const what = `unix ${ch.row.type} ${ch.row.path === null ? '-' : displayText(ch.row.path)} inode ${ch.row.inode} ${ownersText(ch.row.owners)}`.trimEnd()
    if (ch.kind === 'new') lines.push(`${c.green('+')} ${what} ${c.dim(`[${ch.row.state}]`)}`)
    else if (ch.kind === 'closed') lines.push(`${c.red('-')} ${what} ${c.dim(`[${ch.row.state}]`)}`)
    else lines.push(`${c.yellow('~')} ${what} ${ch.from} -> ${ch.row.state}`)
  }
  return lines
}

/**
 * One --watch refresh. On a terminal: clear the screen and redraw the whole
 * view, like watch(1), with the changes below it. Piped: the full view once,
 * then only a header and the changes, so a log of it reads like a diff.
 */
export function renderWatchFrame(
  t: Pick<WatchTick, 'tick' | 'report' | 'changes' | 'unixChanges'>,
  c: ChalkInstance,
  opts: {readonly seconds: number; readonly tty: boolean; readonly inet?: boolean; readonly extended?: boolean},
): string[] {
  const time = t.report.collectedAt.slice(11, 19)
  const head = c.bold(`Every ${opts.seconds}s: rpcdiag sockets (${t.report.filter})  ${time}  refresh ${t.tick}`)
  const counted = countChanges([...t.changes, ...t.unixChanges])
  const changes = [`Changes since the last refresh: ${counted.new} new, ${counted.closed} closed, ${counted.state} changed state`, ...renderChanges(t.changes, t.unixChanges, c)]
  if (opts.tty) {
    const view = renderSocketsReport(t.report, c, opts)
    return ['\u001B[H\u001B[2J' + head, ...view, ...(t.tick > 1 ? ['', ...changes] : [])]
  }
  return [head, ...(t.tick === 1 ? renderSocketsReport(t.report, c, opts) : changes)]
}
