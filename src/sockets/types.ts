/**
 * The socket table: one row per kernel socket, with the queues the kernel
 * reports and the processes that hold a file descriptor to it. These types are
 * also the JSON shape of `rpcdiag sockets --json` (see sockets-json.ts).
 */

/** TCP states as ss prints them, plus UNCONN for an unconnected UDP socket (kernel state TCP_CLOSE). */
export type SocketState =
  | 'ESTABLISHED'
  | 'SYN-SENT'
  | 'SYN-RECV'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'TIME-WAIT'
  | 'CLOSE'
  | 'CLOSE-WAIT'
  | 'LAST-ACK'
  | 'LISTEN'
  | 'CLOSING'
  | 'UNCONN'
  | 'UNKNOWN'

export type InetProtocol = 'tcp' | 'udp'
export type IpFamily = 4 | 6

/**
 * Why a row has no pid:
 * - kernel: no process holds the socket (inode 0): TIME-WAIT, a SYN-RECV
 *   request, or an orphan its process already closed (FIN-WAIT, LAST-ACK);
 * - permission: the socket belongs to another user whose /proc/PID/fd we may
 *   not read (run as root to see it);
 * - unseen: a process holds it but none we can see does, usually a process in
 *   another pid namespace (a container) or one that exited between the reads.
 */
export type PidMissing = 'kernel' | 'permission' | 'unseen'

/** One process holding a file descriptor to a socket (after fork, several can). */
export interface SocketOwner {
  readonly pid: number
  /** /proc/PID/comm: the kernel's 15-character process name, as ss and ps show it. */
  readonly process: string
  readonly fd: number
}

export interface SocketRow {
  readonly protocol: InetProtocol
  readonly family: IpFamily
  readonly state: SocketState
  readonly localAddress: string
  readonly localPort: number
  /** 0.0.0.0 / :: with port 0 when there is no peer (a listener, an unconnected UDP socket). */
  readonly peerAddress: string
  readonly peerPort: number
  /**
   * As ss shows it. TCP: bytes received and not yet read by the application;
   * on a LISTEN socket, connections waiting in the accept queue. UDP: receive
   * buffer memory in use. null when the source has no queues (systeminformation).
   */
  readonly recvQ: number | null
  /**
   * As ss shows it. TCP: bytes written and not yet acknowledged by the peer;
   * on a LISTEN socket, the accept backlog limit (null when it could not be
   * read: it is only available over netlink, which rpcdiag reads itself,
   * sock-diag.ts, or else through ss).
   * UDP: send buffer memory in use. null when the source has no queues.
   */
  readonly sendQ: number | null
  /** Socket inode; 0 when no process holds it. */
  readonly inode: number
  /** Owning uid as the kernel reports it; null when the source does not say. */
  readonly uid: number | null
  /** The first owner's pid, null when unknown (see pidMissing). */
  readonly pid: number | null
  readonly process: string | null
  readonly owners: readonly SocketOwner[]
  readonly pidMissing: PidMissing | null
}

export type UnixSocketType = 'stream' | 'dgram' | 'seqpacket' | 'unknown'
export type UnixSocketState = 'LISTEN' | 'CONNECTED' | 'UNCONNECTED' | 'CONNECTING' | 'DISCONNECTING' | 'UNKNOWN'

export interface UnixSocketRow {
  readonly type: UnixSocketType
  readonly state: UnixSocketState
  /** Filesystem path, "@name" for an abstract socket, null when unbound (most client ends). */
  readonly path: string | null
  readonly inode: number
  readonly pid: number | null
  readonly process: string | null
  readonly owners: readonly SocketOwner[]
  readonly pidMissing: PidMissing | null
}

export interface ProcessInfo {
  readonly pid: number
  /** /proc/PID/comm. */
  readonly name: string
  /** /proc/PID/cmdline with NULs as spaces ("" for kernel threads or when unreadable). */
  readonly command: string
  readonly uid: number | null
}
