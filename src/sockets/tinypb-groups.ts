import {formatEndpoint, unmapIpv4} from './proc-addr.js'
import {STATE_ORDER} from './states.js'
import type {SocketRow, SocketState} from './types.js'

/** One end of a connection, as its own socket on this machine shows it. */
export interface ConnectionEnd {
  readonly address: string
  readonly port: number
  readonly peerAddress: string
  readonly peerPort: number
  readonly state: SocketState
  readonly recvQ: number | null
  readonly sendQ: number | null
  readonly pid: number | null
  readonly process: string | null
}

/**
 * A connection to the server port. Both ends are filled when client and
 * server run on this machine; a remote client leaves `client` null, a remote
 * server leaves `server` null.
 */
export interface ServerConnection {
  readonly server: ConnectionEnd | null
  readonly client: ConnectionEnd | null
}

export interface ListenerGroup {
  readonly port: number
  /**
   * Why the port counts as TinyPB: a known server ("rocket's test server
   * (conf/rocket.xml)"), "RPCDIAG_TINYPB_PORTS", "--port", or "requested" (a
   * caller's list, as the demo's). The human view says it in words (knownText).
   */
  readonly known: string
  /** The listening socket; null when nothing listens here (the server is down or remote). */
  readonly listener: {
    readonly endpoint: string
    readonly pid: number | null
    readonly process: string | null
    /** Connections waiting to be accepted. */
    readonly acceptQueue: number | null
    readonly backlog: number | null
  } | null
  readonly connections: ServerConnection[]
  /** Server-side states (client-side when the server is remote). */
  readonly states: Partial<Record<SocketState, number>>
  /** Sum of the server ends' queues: what the server has not read, and not yet delivered. */
  readonly recvQ: number
  readonly sendQ: number
  /** Local client processes and how many connections each holds. */
  readonly clients: Array<{readonly pid: number | null; readonly process: string | null; readonly connections: number}>
}

function end(r: SocketRow): ConnectionEnd {
  return {address: r.localAddress, port: r.localPort, peerAddress: r.peerAddress, peerPort: r.peerPort, state: r.state, recvQ: r.recvQ, sendQ: r.sendQ, pid: r.pid, process: r.process}
}

function tuple(aAddr: string, aPort: number, bAddr: string, bPort: number): string {
  return `${unmapIpv4(aAddr)} ${aPort} ${unmapIpv4(bAddr)} ${bPort}`
}

/** Group the TCP sockets of a table by server port: the sockets view of a TinyPB service. */
export function groupByListener(
  table: {readonly sockets: readonly SocketRow[]; readonly listeners: readonly SocketRow[]},
  ports: ReadonlyMap<number, string>,
): ListenerGroup[] {
  const groups: ListenerGroup[] = []
  const tcp = table.sockets.filter((r) => r.protocol === 'tcp' && r.state !== 'LISTEN')
  for (const [port, known] of [...ports].sort((a, b) => a[0] - b[0])) {
    const l = table.listeners.find((x) => x.localPort === port)
    const serverEnds = tcp.filter((r) => r.localPort === port)
    const clientEnds = tcp.filter((r) => r.peerPort === port && r.localPort !== port)
    if (l === undefined && serverEnds.length === 0 && clientEnds.length === 0) continue
    const clientsByTuple = new Map(clientEnds.map((c) => [tuple(c.localAddress, c.localPort, c.peerAddress, c.peerPort), c]))
    const connections: ServerConnection[] = []
    for (const s of serverEnds) {
      const k = tuple(s.peerAddress, s.peerPort, s.localAddress, s.localPort)
      const c = clientsByTuple.get(k)
      clientsByTuple.delete(k)
      connections.push({server: end(s), client: c === undefined ? null : end(c)})
    }
    // Client ends with no server end here: the server is on another machine.
    for (const c of clientsByTuple.values()) connections.push({server: null, client: end(c)})

    const counts = new Map<SocketState, number>()
    let recvQ = 0
    let sendQ = 0
    for (const c of connections) {
      const side = c.server ?? c.client!
      counts.set(side.state, (counts.get(side.state) ?? 0) + 1)
      if (c.server !== null) {
        recvQ += c.server.recvQ ?? 0
        sendQ += c.server.sendQ ?? 0
      }
    }
    const states: Partial<Record<SocketState, number>> = {}
    for (const s of STATE_ORDER) if (counts.has(s)) states[s] = counts.get(s)!
    const clients = new Map<string, {pid: number | null; process: string | null; connections: number}>()
    for (const c of connections) {
      if (c.client === null) continue
      const k = String(c.client.pid)
      const e = clients.get(k) ?? {pid: c.client.pid, process: c.client.process, connections: 0}
      e.connections++
      clients.set(k, e)
    }
    groups.push({
      port,
      known,
      listener:
        l === undefined
          ? null
          : {endpoint: formatEndpoint(l.localAddress, l.localPort), pid: l.pid, process: l.process, acceptQueue: l.recvQ, backlog: l.sendQ},
      connections,
      states,
      recvQ,
      sendQ,
      clients: [...clients.values()].sort((a, b) => b.connections - a.connections),
    })
  }
  return groups
}
