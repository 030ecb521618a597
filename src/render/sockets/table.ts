import type {ChalkInstance} from 'chalk'

import {displayText} from '../../../decoders/string/index.js'

import {formatEndpoint} from '../../sockets/proc-addr.js'
import type {PidMissing, SocketOwner, SocketRow, SocketState, UnixSocketRow} from '../../sockets/types.js'
import {type Column, renderTable} from '../table.js'

/** Queue sizes from which a cell is highlighted; the same defaults as the diagnoses. */
export interface QueueHighlight {
  readonly recvQBytes?: number
  readonly sendQBytes?: number
}

export function stateColor(c: ChalkInstance, state: string): string {
  switch (state) {
    case 'ESTABLISHED':
    case 'CONNECTED':
      return c.green(state)
    case 'LISTEN':
      return c.cyan(state)
    case 'CLOSE-WAIT':
    case 'SYN-RECV':
      return c.red(state)
    case 'TIME-WAIT':
    case 'FIN-WAIT-1':
    case 'FIN-WAIT-2':
    case 'LAST-ACK':
    case 'CLOSING':
    case 'SYN-SENT':
      return c.yellow(state)
    default:
      return state
  }
}

/** What the Process column says when there is no pid: never an empty cell. */
export function pidMissingText(why: PidMissing, uid: number | null, state?: SocketState): string {
  switch (why) {
    case 'kernel':
      return state === 'TIME-WAIT' || state === 'SYN-RECV' ? '- kernel' : '- kernel (orphan)'
    case 'permission':
      return uid === null ? '? other user: run as root' : `? uid ${uid}: run as root`
    case 'unseen':
      return '? not visible (other pid namespace?)'
  }
}

/** "4321/rocket_server", several owners joined by commas, as netstat -p prints them; names from /proc escaped for the terminal. */
export function ownersText(owners: readonly SocketOwner[]): string {
  const seen = new Set<number>()
  const parts: string[] = []
  for (const o of owners) {
    if (seen.has(o.pid)) continue
    seen.add(o.pid)
    parts.push(`${o.pid}/${displayText(o.process)}`)
  }
  return parts.join(',')
}

function processCell(c: ChalkInstance, r: {owners: readonly SocketOwner[]; pidMissing: PidMissing | null; uid?: number | null; state?: string}): string {
  if (r.pidMissing !== null) return c.dim(pidMissingText(r.pidMissing, r.uid ?? null, r.state as SocketState))
  return ownersText(r.owners)
}

function queueCell(c: ChalkInstance, n: number | null, warnAt: number | undefined): string {
  if (n === null) return c.dim('-')
  return warnAt !== undefined && n >= warnAt ? c.red(String(n)) : String(n)
}

function protoName(r: SocketRow): string {
  return r.family === 6 ? `${r.protocol}6` : r.protocol
}

/** The table ss -tanp and netstat -tanp print, plus the reason where a pid is missing; extended adds uid and inode (ss -e). */
export function renderSocketRows(rows: readonly SocketRow[], c: ChalkInstance, hl: QueueHighlight = {}, opts: {readonly extended?: boolean} = {}): string[] {
  const recvAt = hl.recvQBytes ?? 4096
  const sendAt = hl.sendQBytes ?? 65_536
  const columns: Array<Column<SocketRow>> = [
    {header: 'Proto', get: protoName},
    {header: 'State', get: (r) => stateColor(c, r.state)},
    {header: 'Recv-Q', get: (r) => queueCell(c, r.recvQ, r.state === 'LISTEN' ? 1 : recvAt), align: 'right'},
    {header: 'Send-Q', get: (r) => queueCell(c, r.sendQ, r.state === 'LISTEN' ? undefined : sendAt), align: 'right'},
    {header: 'Local Address:Port', get: (r) => formatEndpoint(r.localAddress, r.localPort)},
    {header: 'Peer Address:Port', get: (r) => formatEndpoint(r.peerAddress, r.peerPort)},
    {header: 'Process', get: (r) => processCell(c, r)},
  ]
  if (opts.extended) {
    columns.splice(
      6,
      0,
      {header: 'Uid', get: (r) => (r.uid === null ? c.dim('-') : String(r.uid)), align: 'right'},
      {header: 'Inode', get: (r) => String(r.inode), align: 'right'},
    )
  }
  return renderTable(columns, rows)
}

/** Unix sockets as ss -xp shows them, with the inode to match lsof and /proc. */
export function renderUnixRows(rows: readonly UnixSocketRow[], c: ChalkInstance): string[] {
  const columns: Array<Column<UnixSocketRow>> = [
    {header: 'Type', get: (r) => r.type},
    {header: 'State', get: (r) => stateColor(c, r.state)},
    {header: 'Inode', get: (r) => String(r.inode), align: 'right'},
    // Any process can bind a Unix socket path with control characters in it.
    {header: 'Path', get: (r) => (r.path === null ? c.dim('-') : displayText(r.path))},
    {header: 'Process', get: (r) => processCell(c, r)},
  ]
  return renderTable(columns, rows)
}
