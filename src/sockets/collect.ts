import {existsSync, readFileSync} from 'node:fs'

import {type ListenBacklogs, readListenBacklogs} from './listen-backlog.js'
import {matchesOwners, matchesSocket, matchesUnixSocket, needsOwners, type SocketFilter} from './filter.js'
import {openLibc} from '../net/libc.js'
import type {PortRange} from '../net/index.js'
import {type OwnerScan, scanSocketOwners} from './owners.js'
import {ProcNetParser, type ProcNetSocket} from './proc-net-parse.js'
import {ProcReader} from './proc-read.js'
import {openSockDiag} from './sock-diag.js'
import {parseProcUnix} from './proc-unix-parse.js'
import {readSystemInformation} from './si-source.js'
import type {InetProtocol, IpFamily, PidMissing, ProcessInfo, SocketOwner, SocketRow, UnixSocketRow} from './types.js'

export type SocketSource = 'proc' | 'systeminformation'

export interface CollectOptions {
  readonly filter?: SocketFilter
  /** Also list Unix domain sockets. */
  readonly unix?: boolean
  /** List TCP/UDP sockets (default true; false with --unix alone). */
  readonly inet?: boolean
  /** 'auto' (default): /proc on Linux, systeminformation elsewhere. */
  readonly source?: SocketSource | 'auto'
  /** Ask ss for listener backlogs (default true). */
  readonly backlog?: boolean
  /** Default /proc: where processes are looked up (their fds name the sockets they own). */
  readonly procRoot?: string
  /**
   * Where the socket tables are read; default PROCROOT/net (this process's
   * network namespace). /proc/PID/net reads PID's namespace (--netns): its
   * sockets' owners are still found in procRoot, since socket inodes are
   * unique across namespaces.
   */
  readonly netDir?: string
  /** Run ss (listen backlogs) under this command, e.g. nsenter into the namespace of netDir. */
  readonly commandPrefix?: readonly string[]
  /**
   * Read this machine's tables over netlink (sock_diag.ts; default true): only
   * when procRoot and netDir are not given, and /proc/net is read for any
   * table the kernel will not dump. false: /proc/net only (to compare the two).
   */
  readonly netlink?: boolean
  /** Find the processes owning the sockets (default true; always with a --pid/--process filter): the walk of every fd is the costly part. */
  readonly owners?: boolean
}

/** A snapshot of the kernel's socket tables, filtered, with the owning processes joined. */
export interface SocketTable {
  readonly source: SocketSource
  /** ms since the epoch. */
  readonly collectedAt: number
  /** The filtered view, sorted by protocol, local port, local address, peer. */
  readonly sockets: SocketRow[]
  /**
   * The TCP listeners on the local ports of the shown sockets, even when the
   * filter hides the LISTEN rows themselves (--state close-wait): diagnoses
   * and the TinyPB view need to know which ports are servers, and who serves them.
   */
  readonly listeners: SocketRow[]
  /** With `unix: true`. */
  readonly unix?: UnixSocketRow[]
  /** The processes that own a listed socket. */
  readonly processes: ReadonlyMap<number, ProcessInfo>
  /** net.ipv4.ip_local_port_range: where client (ephemeral) ports come from. */
  readonly ephemeralPorts: PortRange | null
  /** Processes whose sockets we could not attribute (another user, not root). */
  readonly unreadableProcesses: number
  /** What limited this snapshot, in words (missing ss, unparsable lines...). */
  readonly notes: string[]
}

const INET_FILES: ReadonlyArray<[string, InetProtocol, IpFamily]> = [
  ['tcp', 'tcp', 4],
  ['tcp6', 'tcp', 6],
  ['udp', 'udp', 4],
  ['udp6', 'udp', 6],
]

export function readEphemeralPorts(procRoot = '/proc'): PortRange | null {
  let text: string | undefined
  try {
    text = readFileSync(`${procRoot}/sys/net/ipv4/ip_local_port_range`, 'latin1')
  } catch {
    text = undefined
  }
  const m = text === undefined ? null : /^\s*(\d+)\s+(\d+)/.exec(text)
  return m ? {from: Number(m[1]), to: Number(m[2])} : null
}

function pidMissing(inode: number, owners: readonly SocketOwner[], uid: number | null, scan: OwnerScan): PidMissing | null {
  if (owners.length > 0) return null
  if (inode === 0) return 'kernel'
  // /proc/net/unix has no uid column: any unreadable process may be the owner.
  if (uid === null) return scan.unreadable > 0 ? 'permission' : 'unseen'
  return scan.hiddenUids.has(uid) ? 'permission' : 'unseen'
}

function compareRows(a: SocketRow, b: SocketRow): number {
  return (
    (a.protocol === b.protocol ? 0 : a.protocol === 'tcp' ? -1 : 1) ||
    a.family - b.family ||
    a.localPort - b.localPort ||
    (a.localAddress < b.localAddress ? -1 : a.localAddress > b.localAddress ? 1 : 0) ||
    (a.peerAddress < b.peerAddress ? -1 : a.peerAddress > b.peerAddress ? 1 : 0) ||
    a.peerPort - b.peerPort
  )
}

/** Take a snapshot. Reading and joining never throw; what went missing is said in `notes`. */
export async function collectSockets(opts: CollectOptions = {}): Promise<SocketTable> {
  const root = opts.procRoot ?? '/proc'
  const net = opts.netDir ?? `${root}/net`
  const filter = opts.filter ?? {}
  const wantInet = opts.inet ?? true
  let source = opts.source ?? 'auto'
  if (source === 'auto') source = wantInet && opts.netDir === undefined && !existsSync(`${net}/tcp`) ? 'systeminformation' : 'proc'
  if (source === 'systeminformation') return collectFromSi(opts, filter)

  const collectedAt = Date.now()
  const notes: string[] = []
  const view: ProcNetSocket[] = []
  const listenerRaw: ProcNetSocket[] = []
  const proc = new ProcReader()
  // Over netlink when the tables are this machine's own (no --netns, no other /proc), as ss reads them.
  const libc = opts.netlink !== false && opts.procRoot === undefined && opts.netDir === undefined && wantInet ? await openLibc() : undefined
  const diag = libc === undefined ? undefined : openSockDiag(libc)
  // Listener backlog limits, when netlink gave every TCP table read (else ss is asked).
  let diagBacklogs: Map<number, number> | undefined = typeof diag === 'object' ? new Map() : undefined
  if (wantInet) {
    for (const [file, protocol, family] of INET_FILES) {
      if (filter.protocols !== undefined && !filter.protocols.has(protocol)) continue
      const table = typeof diag === 'object' ? diag.dump(protocol, family) : undefined
      let sockets: readonly ProcNetSocket[]
      if (typeof table === 'object') {
        sockets = table.sockets
        for (const [inode, backlog] of table.backlogs) diagBacklogs?.set(inode, backlog)
      } else {
        if (protocol === 'tcp') diagBacklogs = undefined
        // One reused buffer, read a piece at a time in place (the parser never makes a string of the file).
        // A read is synchronous: with 26,000 sockets it takes 100-1000 ms in which a live capture
        // waits, so what reads it during one (sniff --metrics) keeps to a refresh interval.
        const parsed = new ProcNetParser(protocol, family)
        if (!proc.readLines(`${net}/${file}`, (bytes, length) => parsed.lines(bytes, length))) {
          // No tcp6/udp6 when the kernel runs without IPv6.
          if (family === 4) notes.push(`${net}/${file} is not readable`)
          continue
        }
        if (parsed.errors.length > 0) notes.push(`${parsed.errors.length} line(s) of ${net}/${file} could not be parsed (first: ${parsed.errors[0].reason})`)
        sockets = parsed.sockets
      }
      for (const s of sockets) {
        if (s.state === 'LISTEN' && protocol === 'tcp') listenerRaw.push(s)
        if (matchesSocket(s, filter)) view.push(s)
      }
    }
  }
  if (typeof diag === 'object') diag.close()
  // Started before the owner scan so ss runs on the other core meanwhile; only when a listener is shown.
  const backlogs: Promise<ListenBacklogs> | undefined =
    opts.backlog === false || !view.some((s) => s.state === 'LISTEN' && s.protocol === 'tcp')
      ? undefined
      : diagBacklogs !== undefined
        ? Promise.resolve({backlogs: diagBacklogs})
        : readListenBacklogs({commandPrefix: opts.commandPrefix})
  const unixRaw = opts.unix ? parseProcUnix(proc.read(`${net}/unix`)?.toString('utf8') ?? 'header\n') : undefined
  if (opts.unix && unixRaw !== undefined && unixRaw.errors.length > 0) notes.push(`${unixRaw.errors.length} line(s) of ${net}/unix could not be parsed`)
  const unixView = unixRaw?.sockets.filter((u) => matchesUnixSocket(u, filter)) ?? []

  // Listeners of other ports would only cost owner lookups nobody reads.
  const localPorts = new Set<number>()
  for (const s of view) localPorts.add(s.localPort)
  const listenersShown = listenerRaw.filter((l) => localPorts.has(l.localPort))
  const wanted: number[] = []
  if (opts.owners !== false || needsOwners(filter)) {
    for (const s of view) if (s.inode !== 0) wanted.push(s.inode)
    for (const s of listenersShown) if (s.inode !== 0) wanted.push(s.inode)
    for (const u of unixView) if (u.inode !== 0) wanted.push(u.inode)
  }
  // Nothing to attribute, nothing to scan: the walk is the costly part.
  const scan: OwnerScan = wanted.length > 0 ? scanSocketOwners({procRoot: root, wanted, libc: libc ?? (await openLibc())}) : {owners: new Map(), processes: new Map(), hiddenUids: new Set(), unreadable: 0}
  if (scan.unreadable > 0) notes.push(`the sockets of ${scan.unreadable} process(es) of other users cannot be attributed without root`)

  const b = backlogs === undefined ? undefined : await backlogs
  if (b?.unavailable !== undefined) notes.push(`listen backlog unknown (Send-Q of LISTEN rows): ${b.unavailable}`)

  // The table's sockets are their rows (proc-net-parse.ts): owners and a listener's backlog filled in place.
  const toRow = (s: ProcNetSocket): SocketRow => {
    const owners = scan.owners.get(s.inode)
    if (owners !== undefined && owners.length > 0) {
      s.owners = owners
      s.pid = owners[0].pid
      s.process = owners[0].process
    }
    if (s.state === 'LISTEN' && s.protocol === 'tcp') s.sendQ = b?.backlogs.get(s.inode) ?? null
    s.pidMissing = pidMissing(s.inode, s.owners, s.uid, scan)
    return s
  }
  const ownerFilter = needsOwners(filter)
  const sockets: SocketRow[] = []
  for (const s of view) {
    const row = toRow(s)
    if (!ownerFilter || matchesOwners(row.owners, scan.processes, filter)) sockets.push(row)
  }
  sockets.sort(compareRows)
  const listeners = listenersShown.map(toRow).sort(compareRows)

  let unix: UnixSocketRow[] | undefined
  if (opts.unix) {
    unix = []
    for (const u of unixView) {
      const owners = scan.owners.get(u.inode) ?? []
      if (ownerFilter && !matchesOwners(owners, scan.processes, filter)) continue
      unix.push({...u, pid: owners[0]?.pid ?? null, process: owners[0]?.process ?? null, owners, pidMissing: pidMissing(u.inode, owners, null, scan)})
    }
    unix.sort((x, y) => (x.path ?? '\uffff').localeCompare(y.path ?? '\uffff') || x.inode - y.inode)
  }

  return {
    source: 'proc',
    collectedAt,
    sockets,
    listeners,
    unix,
    processes: scan.processes,
    ephemeralPorts: readEphemeralPorts(root),
    unreadableProcesses: scan.unreadable,
    notes,
  }
}

async function collectFromSi(opts: CollectOptions, filter: SocketFilter): Promise<SocketTable> {
  const collectedAt = Date.now()
  const notes = ['source systeminformation: no Send-Q/Recv-Q, no inodes, unconnected UDP sockets are not listed']
  if (opts.unix) notes.push('Unix sockets need /proc/net/unix, which this system does not have')
  const all = await readSystemInformation()
  const processes = new Map<number, ProcessInfo>()
  const toRow = (s: (typeof all)[number]): SocketRow => {
    const owners = s.owner === null ? [] : [s.owner]
    if (s.owner !== null && !processes.has(s.owner.pid)) processes.set(s.owner.pid, {pid: s.owner.pid, name: s.owner.process, command: '', uid: null})
    const kernel = s.owner === null && (s.state === 'TIME-WAIT' || s.state === 'SYN-RECV')
    return {
      ...s,
      recvQ: null,
      sendQ: null,
      inode: 0,
      uid: null,
      pid: s.owner?.pid ?? null,
      process: s.owner?.process ?? null,
      owners,
      pidMissing: s.owner !== null ? null : kernel ? 'kernel' : 'unseen',
    }
  }
  const rows = all.map(toRow)
  const sockets = rows.filter((r) => matchesSocket(r, filter) && (!needsOwners(filter) || matchesOwners(r.owners, processes, filter))).sort(compareRows)
  const listeners = rows.filter((r) => r.protocol === 'tcp' && r.state === 'LISTEN').sort(compareRows)
  return {
    source: 'systeminformation',
    collectedAt,
    sockets,
    listeners,
    unix: opts.unix ? [] : undefined,
    processes,
    ephemeralPorts: null,
    unreadableProcesses: 0,
    notes,
  }
}
