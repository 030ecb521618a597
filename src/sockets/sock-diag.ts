import {getSystemErrorName} from 'node:util'

import {formatIpv4, formatIpv6} from '../../decoders/packet/ip-address.js'
import type {LibcAccess} from '../net/libc.js'
import {type ProcNetSocket, tableSocket} from './proc-net-parse.js'
import {stateFromKernel} from './states.js'
import type {InetProtocol, IpFamily} from './types.js'

/**
 * The kernel's socket tables over netlink (sock_diag, what `ss` reads), in
 * place of the text of /proc/net/tcp, tcp6, udp and udp6: the same sockets,
 * as binary records the kernel does not format and we do not parse. With
 * 30,000 sockets the /proc read and parse took ~110 ms here, the dump ~35
 * (bench/sockets.ts). It also says what /proc cannot: a listener's accept
 * backlog limit (inet_diag's idiag_wqueue, ss's Send-Q of a LISTEN row), which
 * otherwise took a run of `ss` beside us.
 *
 * The socket, send and recv calls go through koffi (openLibc); the messages
 * are linux/netlink.h, linux/sock_diag.h and linux/inet_diag.h.
 */
export interface SockDiag {
  /**
   * One table, in the kernel's order, as parseProcNet gives /proc/net/<file>;
   * backlogs: each TCP listener's backlog limit by inode. An errno name when
   * the kernel would not dump it (udp_diag not loaded: ENOENT), for the caller
   * to read /proc instead.
   */
  dump(protocol: InetProtocol, family: IpFamily): SockDiagTable | string
  close(): void
}

export interface SockDiagTable {
  readonly sockets: ProcNetSocket[]
  readonly backlogs: Map<number, number>
}

const AF_INET = 2
const AF_INET6 = 10
const AF_NETLINK = 16
const SOCK_DGRAM = 2
const SOCK_CLOEXEC = 0o2000000
const NETLINK_SOCK_DIAG = 4
const SOCK_DIAG_BY_FAMILY = 20
const NLM_F_REQUEST = 0x1
const NLM_F_DUMP = 0x300
const NLMSG_ERROR = 2
const NLMSG_DONE = 3
const IPPROTO: Record<InetProtocol, number> = {tcp: 6, udp: 17}
const TCP_LISTEN = 10
const SOL_SOCKET = 1
/** SO_RCVTIMEO_OLD, a struct timeval of two longs (x86_64, arm64). */
const SO_RCVTIMEO = 20
/** How long one read of a dump may wait: the kernel answers in microseconds. */
const RECV_TIMEOUT_S = 2

/** struct nlmsghdr: u32 len, u16 type, u16 flags, u32 seq, u32 pid (host order). */
const NLMSG_HDRLEN = 16
/** struct inet_diag_req_v2: u8 family, u8 protocol, u8 ext, u8 pad, u32 states, struct inet_diag_sockid (48). */
const REQ_LEN = NLMSG_HDRLEN + 56
/**
 * struct inet_diag_msg: u8 family, state, timer, retrans; inet_diag_sockid
 * (be16 sport, be16 dport, be32 src[4], be32 dst[4], u32 if, u32 cookie[2]);
 * u32 expires, rqueue, wqueue, uid, inode.
 */
const MSG_LEN = 72
const SPORT = 4
const DPORT = 6
const SRC = 8
const DST = 24
const RQUEUE = 56
const WQUEUE = 60
const UID = 64
const INODE = 68

/** A netlink socket to the kernel's sock_diag, or why not (not Linux, no koffi, a kernel without it). */
export function openSockDiag(libc: LibcAccess): SockDiag | string {
  if (!libc.ok) return libc.why
  const {koffi} = libc
  let socket: (domain: number, type: number, protocol: number) => number
  let send: (fd: number, buf: Buffer, len: number, flags: number) => number
  let recv: (fd: number, buf: Buffer, len: number, flags: number) => number
  let close: (fd: number) => number
  let setsockopt: (fd: number, level: number, name: number, value: Buffer, size: number) => number
  try {
    socket = libc.fn('int socket(int domain, int type, int protocol)')
    send = libc.fn('long send(int fd, const uint8_t *buf, size_t len, int flags)')
    recv = libc.fn('long recv(int fd, uint8_t *buf, size_t len, int flags)')
    close = libc.fn('int close(int fd)')
    setsockopt = libc.fn('int setsockopt(int fd, int level, int name, const uint8_t *value, uint32_t size)')
  } catch (e) {
    return (e as Error).message
  }
  const fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)
  if (fd < 0) return getSystemErrorName(-koffi.errno())
  // A dump the kernel never finishes must not hang the run: a read that waits RECV_TIMEOUT_S
  // fails (EAGAIN), and that table is read from /proc instead.
  // struct timeval: s64 tv_sec, s64 tv_usec, in host order as every field below.
  const timeout = Buffer.from(new BigInt64Array([BigInt(RECV_TIMEOUT_S), 0n]).buffer)
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, timeout.length) < 0) {
    close(fd)
    return getSystemErrorName(-koffi.errno())
  }
  // Messages are host-order words at 4-byte aligned offsets: written and read through views.
  const reqWords = new Uint32Array(REQ_LEN >>> 2)
  const reqHalves = new Uint16Array(reqWords.buffer)
  const req = Buffer.from(reqWords.buffer)
  // A dump fills each read with as many records as fit (ss reads 32 KB at a time).
  const reads = dumpBuffer(64 * 1024)
  let seq = 0
  return {
    dump(protocol, family) {
      // The rest of the request (the socket id: any) stays zero.
      reqWords[0] = REQ_LEN
      reqHalves[2] = SOCK_DIAG_BY_FAMILY
      reqHalves[3] = NLM_F_REQUEST | NLM_F_DUMP
      // nlmsg_seq is a u32: compared as one.
      seq = (seq + 1) >>> 0
      reqWords[2] = seq
      req[NLMSG_HDRLEN] = family === 4 ? AF_INET : AF_INET6
      req[NLMSG_HDRLEN + 1] = IPPROTO[protocol]
      reqWords[(NLMSG_HDRLEN + 4) >>> 2] = 0xffffffff // every state
      if (send(fd, req, REQ_LEN, 0) !== REQ_LEN) return getSystemErrorName(-koffi.errno())
      const table: SockDiagTable = {sockets: [], backlogs: new Map()}
      for (;;) {
        const n = recv(fd, reads.buf, reads.buf.length, 0)
        if (n < 0) return getSystemErrorName(-koffi.errno())
        if (n === 0) return 'EOF'
        const read = readDumpRecords(reads, n, seq, protocol, family, table)
        if (read === 'done') return table
        if (read !== 'more') return read
      }
    },
    close() {
      close(fd)
    },
  }
}

/** A buffer a dump is read into, with the views its records are read through. */
export interface DumpBuffer {
  readonly buf: Buffer
  readonly words: Uint32Array
  readonly halves: Uint16Array
}

/** A dump buffer of size bytes (a multiple of 4), aligned for its views. */
export function dumpBuffer(size: number): DumpBuffer {
  const buf = Buffer.alloc(size)
  return {buf, words: new Uint32Array(buf.buffer, buf.byteOffset, size >>> 2), halves: new Uint16Array(buf.buffer, buf.byteOffset, size >>> 1)}
}

/**
 * The records of one read of a dump (its first n bytes), as rows appended to
 * table: 'more' when the dump goes on in the next read, 'done' at its
 * NLMSG_DONE, else an errno name (the kernel's NLMSG_ERROR, or EPROTO for a
 * record that does not fit the read). Only records answering request seq
 * count: a dump given up before its end (a read that timed out) leaves the
 * rest of its records on the socket, and the next table's request would
 * otherwise take them, and their NLMSG_DONE, for its own.
 */
export function readDumpRecords(from: DumpBuffer, n: number, seq: number, protocol: InetProtocol, family: IpFamily, table: SockDiagTable): 'more' | 'done' | string {
  const {buf, words, halves} = from
  // Records are 4-byte aligned in a buffer that starts aligned.
  for (let at = 0; at + NLMSG_HDRLEN <= n; ) {
    const len = words[at >>> 2]
    if (len < NLMSG_HDRLEN || at + len > n) return 'EPROTO'
    const type = halves[(at >>> 1) + 2]
    if (words[(at >>> 2) + 2] !== seq) {
      at += (len + 3) & ~3
      continue
    }
    if (type === NLMSG_DONE) return 'done'
    // struct nlmsgerr: int error (negative errno), then the request.
    if (type === NLMSG_ERROR) return getSystemErrorName(words[(at + NLMSG_HDRLEN) >>> 2] | 0 || -5)
    if (type === SOCK_DIAG_BY_FAMILY && len >= NLMSG_HDRLEN + MSG_LEN) {
      const p = at + NLMSG_HDRLEN
      const v4 = buf[p] === AF_INET
      const state = stateFromKernel(buf[p + 1], protocol)
      const listening = protocol === 'tcp' && buf[p + 1] === TCP_LISTEN
      const inode = words[(p + INODE) >>> 2]
      const rqueue = words[(p + RQUEUE) >>> 2]
      const wqueue = words[(p + WQUEUE) >>> 2]
      if (listening) table.backlogs.set(inode, wqueue)
      // As /proc/net/tcp has them: a listener's tx_queue is 0 there (its limit is wqueue here).
      table.sockets.push(
        tableSocket(
          protocol,
          family,
          state,
          v4 ? formatIpv4(buf, p + SRC) : formatIpv6(buf, p + SRC),
          (buf[p + SPORT] << 8) | buf[p + SPORT + 1],
          v4 ? formatIpv4(buf, p + DST) : formatIpv6(buf, p + DST),
          (buf[p + DPORT] << 8) | buf[p + DPORT + 1],
          rqueue,
          listening ? 0 : wqueue,
          inode,
          words[(p + UID) >>> 2],
        ),
      )
    }
    at += (len + 3) & ~3
  }
  return 'more'
}
