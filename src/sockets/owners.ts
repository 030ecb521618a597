import {readdirSync, readFileSync, statSync} from 'node:fs'

import type {LibcAccess} from '../net/libc.js'
import {socketFdReader} from './process-fds.js'
import type {ProcessInfo, SocketOwner} from './types.js'

/**
 * Which process holds which socket. The kernel's socket tables give only the
 * socket inode; the owner is found the way ss -p, netstat -p and lsof do it:
 * every /proc/PID/fd/N that is a socket reads back as "socket:[INODE]"
 * (process-fds.ts reads them).
 *
 * This is one readlink per open file descriptor on the machine, and it is the
 * bulk of the time with 20,000 sockets open: the calls are synchronous because
 * readlinkSync measured about twice as fast as fs.promises.readlink here
 * (the thread-pool hop costs more than the call itself).
 */
export interface OwnerScan {
  /**
   * inode -> the processes holding it, in pid order. With `wanted`, every
   * wanted inode is a key, and one no process was found holding maps to an
   * empty list.
   */
  readonly owners: Map<number, readonly SocketOwner[]>
  /** The processes that hold at least one of the wanted sockets. */
  readonly processes: Map<number, ProcessInfo>
  /** uids of processes whose fd table could not be read (another user, not root). */
  readonly hiddenUids: ReadonlySet<number>
  /** How many processes could not be read. */
  readonly unreadable: number
}

export interface OwnerScanOptions {
  /** Default /proc. */
  readonly procRoot?: string
  /** Only record these inodes (all sockets when absent). */
  readonly wanted?: Iterable<number>
  /** glibc through koffi (openLibc), for reading the fd tables (process-fds.ts); Node's fs without it. */
  readonly libc?: LibcAccess
}

function isPidName(name: string): boolean {
  const c = name.charCodeAt(0)
  return c >= 48 && c <= 57
}

/**
 * No owner (shared: never written to): a table's socket before its owner is
 * looked for (proc-net-parse.ts), and a wanted inode no owner has been found for.
 */
export const NO_OWNERS: readonly SocketOwner[] = Object.freeze([])

export function scanSocketOwners(opts: OwnerScanOptions = {}): OwnerScan {
  const root = opts.procRoot ?? '/proc'
  // One map is both the test of what is wanted and the owners found, and an owner's entry is made
  // whole when found (its process read then, once per process): no set beside the map, no second
  // pass to fill in names.
  const owners = new Map<number, readonly SocketOwner[]>()
  const onlyWanted = opts.wanted !== undefined
  if (opts.wanted !== undefined) for (const inode of opts.wanted) owners.set(inode, NO_OWNERS)
  const processes = new Map<number, ProcessInfo>()
  const hiddenUids = new Set<number>()
  let unreadable = 0
  let pids: string[]
  try {
    pids = readdirSync(root).filter(isPidName)
  } catch {
    return {owners, processes, hiddenUids, unreadable}
  }
  const reader = socketFdReader(root, opts.libc)
  let pid = 0
  // The process being read, once it is found holding a wanted socket: its entries are made whole.
  let info: ProcessInfo | undefined
  const found = (fd: number, inode: number): void => {
    const list = owners.get(inode)
    if (list === undefined && onlyWanted) return
    if (info === undefined) {
      info = readProcessInfo(pid, root)
      processes.set(pid, info)
    }
    const entry: SocketOwner = {pid, process: info.name, fd}
    if (list === undefined || list === NO_OWNERS) owners.set(inode, [entry])
    else (list as SocketOwner[]).push(entry)
  }
  for (const pidText of pids) {
    pid = Number(pidText)
    info = undefined
    // EACCES: another user's process and we are not root. ENOENT: it exited.
    if (reader.read(pidText, found) === 'EACCES') {
      unreadable++
      const uid = statUid(`${root}/${pidText}`)
      if (uid !== null) hiddenUids.add(uid)
    }
  }
  return {owners, processes, hiddenUids, unreadable}
}

function statUid(path: string): number | null {
  try {
    return statSync(path).uid
  } catch {
    return null
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/** Name, command line and uid of one process; empty strings when it is gone or unreadable. */
export function readProcessInfo(pid: number, procRoot = '/proc'): ProcessInfo {
  const dir = `${procRoot}/${pid}`
  const name = readText(`${dir}/comm`).replace(/\n$/, '')
  const command = readText(`${dir}/cmdline`).replace(/\0+$/, '').replaceAll('\0', ' ')
  return {pid, name, command, uid: statUid(dir)}
}
