import type {ChalkInstance} from 'chalk'

import {displayText} from '../../../decoders/string/index.js'

import {formatEndpoint} from '../../sockets/proc-addr.js'
import type {ConnectionEnd, ListenerGroup, ServerConnection} from '../../sockets/tinypb-groups.js'
import {stateColor} from './table.js'
import {type Column, renderTable} from '../table.js'

/** pid/name; the name is whatever the program put in /proc/PID/comm, escaped for the terminal. */
function who(pid: number | null, process: string | null): string {
  return pid === null ? '-' : `${pid}/${process === null ? '?' : displayText(process)}`
}

function q(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : String(n)
}

/** Why a port is in the TinyPB view, in words: the JSON's `known` is terse. */
export function knownText(known: string): string {
  if (known === '--port') return 'port named with --port'
  if (known === 'RPCDIAG_TINYPB_PORTS') return 'port listed in $RPCDIAG_TINYPB_PORTS'
  if (known === 'requested') return 'the port asked about'
  return `the port of ${known}`
}

function endText(e: ConnectionEnd | null): string {
  return e === null ? '-' : formatEndpoint(e.address, e.port)
}

/**
 * The TinyPB view: one block per server port with its listener, the state
 * counts and queues of the server side, the local client processes, and one
 * line per connection showing both ends when both are on this machine.
 */
export function renderListenerGroups(groups: readonly ListenerGroup[], c: ChalkInstance, opts: {maxConnections?: number; filter?: string} = {}): string[] {
  const max = opts.maxConnections ?? 50
  const lines: string[] = []
  if (groups.length === 0) {
    const where = opts.filter === undefined ? '' : ` (${opts.filter})`
    lines.push(c.dim(`No TinyPB server has sockets here${where}: give its port with --port, or list it in RPCDIAG_TINYPB_PORTS.`))
    return lines
  }
  for (const g of groups) {
    const l = g.listener
    const head =
      l === null
        ? `${c.bold(`TinyPB port ${g.port}`)}  ${c.yellow('nothing listens here')} (server down, or on another machine)`
        : `${c.bold(`TinyPB server ${l.endpoint}`)}  ${who(l.pid, l.process)}  accept queue ${q(l.acceptQueue)} (backlog ${q(l.backlog)})`
    lines.push(`${head}  ${c.dim(`[${knownText(g.known)}]`)}`)
    const st = Object.entries(g.states).map(([s, n]) => `${stateColor(c, s)} ${n}`)
    const side = l === null ? 'client side' : 'server side'
    lines.push(
      `  ${g.connections.length} connection${g.connections.length === 1 ? '' : 's'}${st.length > 0 ? `, ${side}: ${st.join(', ')}` : ''}; server unread ${g.recvQ} B (Recv-Q), unacknowledged ${g.sendQ} B (Send-Q)`,
    )
    if (g.clients.length > 0) {
      const cl = g.clients.map((x) => `${x.pid === null ? "no process (the kernel's: TIME-WAIT or orphaned)" : who(x.pid, x.process)} ×${x.connections}`)
      lines.push(`  local clients: ${cl.join(', ')}`)
    }
    if (g.connections.length === 0) continue
    const columns: Array<Column<ServerConnection>> = [
      {header: 'Client', get: (x) => (x.client !== null ? endText(x.client) : x.server !== null ? formatEndpoint(x.server.peerAddress, x.server.peerPort) : '-')},
      // No server-side socket: the local server already closed its end (the client waits in TIME-WAIT), or the server is elsewhere.
      {header: 'Server state', get: (x) => (x.server !== null ? stateColor(c, x.server.state) : c.dim(l === null ? 'remote' : 'closed'))},
      {header: 'Recv-Q', get: (x) => q(x.server?.recvQ), align: 'right'},
      {header: 'Send-Q', get: (x) => q(x.server?.sendQ), align: 'right'},
      {header: 'Client state', get: (x) => (x.client === null ? c.dim('remote') : stateColor(c, x.client.state))},
      {header: 'Recv-Q', get: (x) => q(x.client?.recvQ), align: 'right'},
      {header: 'Send-Q', get: (x) => q(x.client?.sendQ), align: 'right'},
      {header: 'Client process', get: (x) => (x.client === null ? '-' : x.client.pid === null ? c.dim('- kernel') : who(x.client.pid, x.client.process))},
    ]
    const shown = g.connections.slice(0, max)
    lines.push(...renderTable(columns, shown, {indent: '  '}))
    if (g.connections.length > max) lines.push(c.dim(`  ... ${g.connections.length - max} more (see --json)`))
    const legend: string[] = []
    if (shown.some((x) => x.server === null && l !== null)) legend.push(`"closed": the server's end is gone, only the client's socket is left (in TIME-WAIT)`)
    if (shown.some((x) => x.client === null || (x.server === null && l === null))) legend.push('"remote": that end is on another machine')
    if (legend.length > 0) lines.push(c.dim(`  (${legend.join('; ')})`))
  }
  return lines
}
