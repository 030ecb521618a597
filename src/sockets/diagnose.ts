import {formatEndpoint} from './proc-addr.js'
import type {PortRange} from '../net/index.js'
import type {SocketRow} from './types.js'

/**
 * Patterns in a socket table that usually mean one thing, said in words.
 * Codes are stable (tests and --json users match on them); messages are for people.
 */
export type DiagnosisCode =
  | 'CLOSE_WAIT_PILEUP'
  | 'TIME_WAIT_PILEUP'
  | 'ACCEPT_QUEUE_FULL'
  | 'ACCEPT_QUEUE'
  | 'SYN_RECV'
  | 'RECV_Q'
  | 'SEND_Q'

export interface Diagnosis {
  readonly code: DiagnosisCode
  readonly severity: 'warning' | 'info'
  /** Sockets that show the pattern. */
  readonly count: number
  /** The endpoint the pattern is about: a server's local port, or the server a client keeps connecting to. */
  readonly endpoint: string
  readonly pid: number | null
  readonly process: string | null
  readonly message: string
}

export interface DiagnoseOptions {
  /** CLOSE-WAIT sockets on one port before it counts as a pile-up (default 5). */
  readonly closeWaitMin?: number
  /** TIME-WAIT sockets towards one server before it counts as a pile-up (default 20). */
  readonly timeWaitMin?: number
  /** SYN-RECV sockets on one listener (default 5). */
  readonly synRecvMin?: number
  /** Recv-Q bytes that count as "not reading" (default 4096: a reading application keeps it near 0). */
  readonly recvQBytes?: number
  /** Send-Q bytes that count as "peer not reading" (default 65536: more than a loopback window in flight). */
  readonly sendQBytes?: number
}

export interface DiagnoseInput {
  readonly sockets: readonly SocketRow[]
  readonly listeners: readonly SocketRow[]
  readonly ephemeralPorts: PortRange | null
}

/** TCP_TIMEWAIT_LEN in include/net/tcp.h: 60 s, not tunable on Linux. */
const TIME_WAIT_SECONDS = 60

function owner(rows: readonly SocketRow[]): {pid: number | null; process: string | null} {
  const counts = new Map<number, {n: number; process: string | null}>()
  for (const r of rows) if (r.pid !== null) counts.set(r.pid, {n: (counts.get(r.pid)?.n ?? 0) + 1, process: r.process})
  let best: {pid: number | null; process: string | null; n: number} = {pid: null, process: null, n: 0}
  for (const [pid, c] of counts) if (c.n > best.n) best = {pid, process: c.process, n: c.n}
  return {pid: best.pid, process: best.process}
}

function who(o: {pid: number | null; process: string | null}): string {
  return o.pid === null ? 'an unknown process' : `${o.process ?? '?'} (pid ${o.pid})`
}

function groupBy<K>(rows: Iterable<SocketRow>, key: (r: SocketRow) => K | undefined): Map<K, SocketRow[]> {
  const m = new Map<K, SocketRow[]>()
  for (const r of rows) {
    const k = key(r)
    if (k === undefined) continue
    const list = m.get(k)
    if (list === undefined) m.set(k, [r])
    else list.push(r)
  }
  return m
}

/** Queue sizes for people: 512 B, 64.0 KiB, 1.5 MiB. */
export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`
}

export function diagnoseSockets(input: DiagnoseInput, opts: DiagnoseOptions = {}): Diagnosis[] {
  const closeWaitMin = opts.closeWaitMin ?? 5
  const timeWaitMin = opts.timeWaitMin ?? 20
  const synRecvMin = opts.synRecvMin ?? 5
  const recvQMin = opts.recvQBytes ?? 4096
  const sendQMin = opts.sendQBytes ?? 65_536
  const out: Diagnosis[] = []
  const listenerByPort = new Map<number, SocketRow>()
  for (const l of input.listeners) if (!listenerByPort.has(l.localPort)) listenerByPort.set(l.localPort, l)
  const serverName = (port: number, rows: readonly SocketRow[]) => {
    const l = listenerByPort.get(port)
    return l !== undefined && l.pid !== null ? {pid: l.pid, process: l.process} : owner(rows)
  }

  // One pass over the table (20,000 rows is common), sorting rows into the patterns below.
  const closeWaitRows: SocketRow[] = []
  const timeWaitRows: SocketRow[] = []
  const listening: SocketRow[] = []
  const synRecvRows: SocketRow[] = []
  const unread: SocketRow[] = []
  const unsent: SocketRow[] = []
  for (const r of input.sockets) {
    const tcp = r.protocol === 'tcp'
    if (r.state === 'LISTEN') {
      if (tcp) listening.push(r)
      continue
    }
    if (tcp) {
      if (r.state === 'CLOSE-WAIT') closeWaitRows.push(r)
      else if (r.state === 'TIME-WAIT' && !listenerByPort.has(r.localPort)) timeWaitRows.push(r)
      else if (r.state === 'SYN-RECV') synRecvRows.push(r)
      if (r.sendQ !== null && r.sendQ >= sendQMin) unsent.push(r)
    }
    if (r.recvQ !== null && r.recvQ >= recvQMin) unread.push(r)
  }

  // CLOSE-WAIT: the peer sent FIN, this side never called close().
  const closeWait = groupBy(
    closeWaitRows,
    (r) => (listenerByPort.has(r.localPort) ? `server ${r.localPort}` : `client ${formatEndpoint(r.peerAddress, r.peerPort)}`),
  )
  for (const [key, rows] of closeWait) {
    if (rows.length < closeWaitMin) continue
    const server = key.startsWith('server ')
    const port = rows[0].localPort
    const o = server ? serverName(port, rows) : owner(rows)
    const endpoint = server ? formatEndpoint(rows[0].localAddress, port) : key.slice('client '.length)
    const message = server
      ? `${rows.length} connections in CLOSE-WAIT on local port ${port}, served by ${who(o)}: the clients have closed their side, but the server never calls close() on these sockets. Each one keeps a file descriptor until the process runs out of them. rocket's server is a known case: it never closes a connection, not after the client's FIN and not when idle.`
      : `${rows.length} connections from ${who(o)} to ${endpoint} are in CLOSE-WAIT: the server closed them, but this client never calls close() on its side, so each keeps a file descriptor.`
    out.push({code: 'CLOSE_WAIT_PILEUP', severity: 'warning', count: rows.length, endpoint, ...o, message})
  }

  // TIME-WAIT on the client side: the side that closes first keeps the 4-tuple for 60 s.
  const timeWait = groupBy(
    timeWaitRows,
    (r) => formatEndpoint(r.peerAddress, r.peerPort),
  )
  for (const [endpoint, rows] of timeWait) {
    if (rows.length < timeWaitMin) continue
    const range = input.ephemeralPorts
    const rate =
      range === null
        ? ''
        : ` With local ports ${range.from}-${range.to} (net.ipv4.ip_local_port_range), that caps this machine at about ${Math.floor((range.to - range.from + 1) / TIME_WAIT_SECONDS)} new connections per second to ${endpoint} before connect() fails with EADDRNOTAVAIL.`
    const message = `${rows.length} client connections to ${endpoint} in TIME-WAIT: this machine opens a new TCP connection per call and closes it first, and each closed connection holds its local port for ${TIME_WAIT_SECONDS} s. The rocket and tinyrpc clients do exactly this (one connection per call).${rate} Reusing connections avoids it. TIME-WAIT sockets belong to the kernel, so no process is shown.`
    out.push({code: 'TIME_WAIT_PILEUP', severity: 'warning', count: rows.length, endpoint, pid: null, process: null, message})
  }

  // Listeners: a non-empty accept queue means accept() is not keeping up.
  for (const l of listening) {
    if (l.recvQ === null || l.recvQ === 0) continue
    const endpoint = formatEndpoint(l.localAddress, l.localPort)
    const o = {pid: l.pid, process: l.process}
    // The kernel refuses new connections once sk_ack_backlog > sk_max_ack_backlog.
    const full = l.sendQ !== null && l.recvQ >= l.sendQ
    if (full) {
      const message = `the accept queue of ${endpoint} (${who(o)}) is full: ${l.recvQ} connections wait, backlog ${l.sendQ}. The server is not calling accept(): new clients are left in SYN-RECV or dropped and see connect timeouts. Look for a blocked event loop or a server stuck in a handler.`
      out.push({code: 'ACCEPT_QUEUE_FULL', severity: 'warning', count: l.recvQ, endpoint, ...o, message})
    } else {
      const limit = l.sendQ === null ? '' : ` (backlog ${l.sendQ})`
      const message = `${l.recvQ} connection(s) wait in the accept queue of ${endpoint} (${who(o)})${limit}: the handshake is done but the server has not accepted them yet. Brief queues are normal under load; one that persists means the server is not accepting.`
      out.push({code: 'ACCEPT_QUEUE', severity: 'info', count: l.recvQ, endpoint, ...o, message})
    }
  }

  // SYN-RECV: half-open handshakes; on loopback they only linger when the accept queue is full.
  for (const [port, rows] of groupBy(synRecvRows, (r) => r.localPort)) {
    if (rows.length < synRecvMin) continue
    const l = listenerByPort.get(port)
    const o = serverName(port, rows)
    const endpoint = formatEndpoint(l?.localAddress ?? rows[0].localAddress, port)
    const message = `${rows.length} connections in SYN-RECV on ${endpoint} (${who(o)}): handshakes are stuck half-open. Either the server is not accepting and its accept queue is full (the kernel then holds back the handshake), or the clients' final ACKs do not arrive (a SYN flood, a firewall).`
    out.push({code: 'SYN_RECV', severity: 'warning', count: rows.length, endpoint, ...o, message})
  }

  // Recv-Q: bytes the kernel has received and the application has not read.
  for (const rows of groupBy(unread, (r) => `${r.protocol} ${r.pid ?? '-'}`).values()) {
    rows.sort((a, b) => (b.recvQ ?? 0) - (a.recvQ ?? 0))
    const top = rows[0]
    const o = {pid: top.pid, process: top.process}
    const total = rows.reduce((n, r) => n + (r.recvQ ?? 0), 0)
    const where = `${formatEndpoint(top.localAddress, top.localPort)} <- ${formatEndpoint(top.peerAddress, top.peerPort)}`
    const why =
      top.protocol === 'udp'
        ? 'datagrams arrive faster than it reads them; once the buffer is full the kernel drops them.'
        : 'the application is not reading (a blocked or busy handler, a stalled event loop, or a server that stopped reading a connection). The peer will see its own Send-Q grow, then its writes block.'
    const message = `${rows.length} ${top.protocol.toUpperCase()} socket(s) of ${who(o)} hold ${formatBytes(total)} of unread data (largest ${formatBytes(top.recvQ ?? 0)} on ${where}): ${why}`
    out.push({code: 'RECV_Q', severity: 'warning', count: rows.length, endpoint: formatEndpoint(top.localAddress, top.localPort), ...o, message})
  }

  // Send-Q: bytes written and not yet acknowledged by the peer.
  for (const rows of groupBy(unsent, (r) => r.pid ?? -1).values()) {
    rows.sort((a, b) => (b.sendQ ?? 0) - (a.sendQ ?? 0))
    const top = rows[0]
    const o = {pid: top.pid, process: top.process}
    const total = rows.reduce((n, r) => n + (r.sendQ ?? 0), 0)
    const where = `${formatEndpoint(top.localAddress, top.localPort)} -> ${formatEndpoint(top.peerAddress, top.peerPort)}`
    // When the peer is on this machine its end of the connection is in the table too.
    const peer = input.sockets.find(
      (r) => r.localPort === top.peerPort && r.peerPort === top.localPort && r.localAddress === top.peerAddress && r.peerAddress === top.localAddress,
    )
    const why =
      peer !== undefined
        ? `the peer is ${who({pid: peer.pid, process: peer.process})} on this machine, with ${formatBytes(peer.recvQ ?? 0)} it has not read: it is not reading.`
        : 'the peer is not reading (its receive window is full) or the network is slow to carry the data.'
    const message = `${rows.length} socket(s) of ${who(o)} hold ${formatBytes(total)} not yet acknowledged by their peers (largest ${formatBytes(top.sendQ ?? 0)} on ${where}): ${why}`
    out.push({code: 'SEND_Q', severity: 'warning', count: rows.length, endpoint: formatEndpoint(top.peerAddress, top.peerPort), ...o, message})
  }
  return out
}
