import type {InetProtocol, IpFamily, SocketOwner, SocketState} from './types.js'

/**
 * The portable source: systeminformation's networkConnections(), used where
 * there is no /proc/net (macOS, the BSDs) or when asked for with
 * `source: 'systeminformation'`.
 *
 * Why it is not the default on Linux (measured with 10,000 loopback
 * connections open, see bench/sockets.ts): networkConnections() runs
 * `netstat -tunap | grep` and took about 500 ms, processes() about 300 ms,
 * loading the package about 50 ms, together slower than lsof. It also loses
 * what a diagnosis needs: no Send-Q/Recv-Q, no socket inode, unconnected UDP
 * sockets are dropped by its grep, and netstat without -W truncates long IPv6
 * addresses. The Linux path reads the same kernel tables directly instead.
 */
export interface SiSocket {
  readonly protocol: InetProtocol
  readonly family: IpFamily
  readonly state: SocketState
  readonly localAddress: string
  readonly localPort: number
  readonly peerAddress: string
  readonly peerPort: number
  readonly owner: SocketOwner | null
}

/** netstat's and ss's state spellings as systeminformation passes them on. */
const STATES: Record<string, SocketState> = {
  ESTABLISHED: 'ESTABLISHED',
  ESTAB: 'ESTABLISHED',
  SYN_SENT: 'SYN-SENT',
  'SYN-SENT': 'SYN-SENT',
  SYN_RECV: 'SYN-RECV',
  'SYN-RECV': 'SYN-RECV',
  FIN_WAIT1: 'FIN-WAIT-1',
  FIN_WAIT_1: 'FIN-WAIT-1',
  'FIN-WAIT-1': 'FIN-WAIT-1',
  FIN_WAIT2: 'FIN-WAIT-2',
  FIN_WAIT_2: 'FIN-WAIT-2',
  'FIN-WAIT-2': 'FIN-WAIT-2',
  TIME_WAIT: 'TIME-WAIT',
  'TIME-WAIT': 'TIME-WAIT',
  CLOSE: 'CLOSE',
  CLOSED: 'CLOSE',
  CLOSE_WAIT: 'CLOSE-WAIT',
  'CLOSE-WAIT': 'CLOSE-WAIT',
  LAST_ACK: 'LAST-ACK',
  'LAST-ACK': 'LAST-ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
  UNCONN: 'UNCONN',
}

export interface SiConnection {
  readonly protocol: string
  readonly localAddress: string
  readonly localPort: string
  readonly peerAddress: string
  readonly peerPort: string
  readonly state: string
  readonly pid: number | null
  readonly process: string
}

function port(text: string): number {
  const n = Number(text)
  return Number.isInteger(n) && n >= 0 && n <= 65_535 ? n : 0
}

/** Map systeminformation rows to the table's shape. Pure; unknown protocols are dropped. */
export function fromSystemInformation(connections: readonly SiConnection[]): SiSocket[] {
  const out: SiSocket[] = []
  for (const c of connections) {
    const proto = c.protocol.toLowerCase()
    const protocol: InetProtocol | undefined = proto.startsWith('tcp') ? 'tcp' : proto.startsWith('udp') ? 'udp' : undefined
    if (protocol === undefined) continue
    const family: IpFamily = proto.endsWith('6') || c.localAddress.includes(':') ? 6 : 4
    const state = STATES[c.state.toUpperCase()] ?? (protocol === 'udp' ? 'UNCONN' : 'UNKNOWN')
    const pid = typeof c.pid === 'number' && c.pid > 0 ? c.pid : null
    out.push({
      protocol,
      family,
      state,
      localAddress: c.localAddress === '*' ? (family === 6 ? '::' : '0.0.0.0') : c.localAddress,
      localPort: port(c.localPort),
      peerAddress: c.peerAddress === '*' ? (family === 6 ? '::' : '0.0.0.0') : c.peerAddress,
      peerPort: port(c.peerPort),
      owner: pid === null ? null : {pid, process: c.process, fd: -1},
    })
  }
  return out
}

/** Load systeminformation only when this source is used: the package costs ~50 ms to import. */
export async function readSystemInformation(): Promise<SiSocket[]> {
  const si = await import('systeminformation')
  const connections = await si.networkConnections()
  return fromSystemInformation(connections as SiConnection[])
}
