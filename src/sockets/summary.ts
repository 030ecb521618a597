import {STATE_ORDER} from './states.js'
import type {PidMissing, SocketRow, SocketState, UnixSocketRow, UnixSocketState, UnixSocketType} from './types.js'

/** Counts per state, like `ss -s`, over the filtered view. */
export interface ProtocolSummary {
  readonly total: number
  readonly ipv4: number
  readonly ipv6: number
  /** Only the states that occur, in STATE_ORDER. */
  readonly states: Partial<Record<SocketState, number>>
}

export interface SocketSummary {
  readonly total: number
  readonly tcp: ProtocolSummary
  readonly udp: ProtocolSummary
  /** Queued bytes over all non-listening sockets (listeners' queues count connections, not bytes). */
  readonly queues: {
    readonly recvQBytes: number
    readonly sendQBytes: number
    readonly socketsWithRecvQ: number
    readonly socketsWithSendQ: number
  }
  /** Rows without a pid, by reason. */
  readonly pidMissing: Record<PidMissing, number>
  readonly unix?: {
    readonly total: number
    readonly states: Partial<Record<UnixSocketState, number>>
    readonly types: Partial<Record<UnixSocketType, number>>
  }
}

function ordered(counts: Map<SocketState, number>): Partial<Record<SocketState, number>> {
  const out: Partial<Record<SocketState, number>> = {}
  for (const s of STATE_ORDER) {
    const n = counts.get(s)
    if (n !== undefined) out[s] = n
  }
  return out
}

function bump<K>(m: Map<K, number>, k: K): void {
  m.set(k, (m.get(k) ?? 0) + 1)
}

export function summarizeSockets(rows: readonly SocketRow[], unix?: readonly UnixSocketRow[]): SocketSummary {
  const per = {
    tcp: {total: 0, ipv4: 0, ipv6: 0, states: new Map<SocketState, number>()},
    udp: {total: 0, ipv4: 0, ipv6: 0, states: new Map<SocketState, number>()},
  }
  const queues = {recvQBytes: 0, sendQBytes: 0, socketsWithRecvQ: 0, socketsWithSendQ: 0}
  const pidMissing: Record<PidMissing, number> = {kernel: 0, permission: 0, unseen: 0}
  for (const r of rows) {
    const p = per[r.protocol]
    p.total++
    if (r.family === 4) p.ipv4++
    else p.ipv6++
    bump(p.states, r.state)
    if (r.pidMissing !== null) pidMissing[r.pidMissing]++
    if (r.state === 'LISTEN') continue
    if (r.recvQ !== null && r.recvQ > 0) {
      queues.recvQBytes += r.recvQ
      queues.socketsWithRecvQ++
    }
    if (r.sendQ !== null && r.sendQ > 0) {
      queues.sendQBytes += r.sendQ
      queues.socketsWithSendQ++
    }
  }
  const summary: SocketSummary = {
    total: rows.length,
    tcp: {...per.tcp, states: ordered(per.tcp.states)},
    udp: {...per.udp, states: ordered(per.udp.states)},
    queues,
    pidMissing,
  }
  if (unix === undefined) return summary
  const states: Partial<Record<UnixSocketState, number>> = {}
  const types: Partial<Record<UnixSocketType, number>> = {}
  for (const u of unix) {
    states[u.state] = (states[u.state] ?? 0) + 1
    types[u.type] = (types[u.type] ?? 0) + 1
  }
  return {...summary, unix: {total: unix.length, states, types}}
}
