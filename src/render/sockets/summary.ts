import type {ChalkInstance} from 'chalk'

import {displayText} from '../../../decoders/string/index.js'

import {type Diagnosis, formatBytes} from '../../sockets/diagnose.js'
import type {ProtocolSummary, SocketSummary} from '../../sockets/summary.js'

function states(p: ProtocolSummary): string {
  const parts = Object.entries(p.states).map(([s, n]) => `${s} ${n}`)
  return parts.length === 0 ? '' : `: ${parts.join(', ')}`
}

/** Counts per protocol and state, like `ss -s`, over the sockets shown. */
export function renderSocketSummary(s: SocketSummary, c: ChalkInstance, opts: {inet?: boolean} = {}): string[] {
  const lines: string[] = []
  if (opts.inet !== false) {
    lines.push(
      `${c.bold('Total:')} ${s.total} socket${s.total === 1 ? '' : 's'} (TCP ${s.tcp.total}, UDP ${s.udp.total})`,
      `  TCP ${s.tcp.total} (IPv4 ${s.tcp.ipv4}, IPv6 ${s.tcp.ipv6})${states(s.tcp)}`,
      `  UDP ${s.udp.total} (IPv4 ${s.udp.ipv4}, IPv6 ${s.udp.ipv6})${states(s.udp)}`,
    )
  }
  const q = s.queues
  if (q.socketsWithRecvQ > 0 || q.socketsWithSendQ > 0) {
    lines.push(`  Queues: ${q.socketsWithRecvQ} socket(s) with unread data (${formatBytes(q.recvQBytes)}), ${q.socketsWithSendQ} with unacknowledged data (${formatBytes(q.sendQBytes)})`)
  }
  const m = s.pidMissing
  const missing: string[] = []
  if (m.kernel > 0) missing.push(`${m.kernel} held by the kernel (TIME-WAIT, SYN-RECV, orphans)`)
  if (m.permission > 0) missing.push(`${m.permission} of other users (run as root to see)`)
  if (m.unseen > 0) missing.push(`${m.unseen} not visible from here (another pid namespace?)`)
  if (missing.length > 0) lines.push(`  No pid: ${missing.join(', ')}`)
  if (s.unix !== undefined) {
    const st = Object.entries(s.unix.states).map(([k, n]) => `${k} ${n}`)
    const ty = Object.entries(s.unix.types).map(([k, n]) => `${k} ${n}`)
    lines.push(`${opts.inet === false ? c.bold('Unix:') : '  Unix'} ${s.unix.total}${st.length > 0 ? `: ${st.join(', ')}` : ''}${ty.length > 0 ? ` (${ty.join(', ')})` : ''}`)
  }
  return lines
}

/** One line per diagnosis; warnings first. Messages name processes (from /proc), so they are escaped. */
export function renderDiagnoses(warnings: readonly Diagnosis[], c: ChalkInstance): string[] {
  const sorted = [...warnings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'warning' ? -1 : 1))
  return sorted.map((w) => `${w.severity === 'warning' ? c.yellow.bold('warning:') : c.cyan('note:')} ${displayText(w.message)}`)
}
