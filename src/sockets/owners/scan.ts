import {readFileSync, statSync} from 'node:fs'

import type {ProcessInfo, SocketOwner} from '../types.js'
import {listPids, walkFdTables} from './fd-walk.js'

/**
 * Which process holds which socket. The kernel's socket tables give only the
 * socket inode; the owner is found the way ss -p, netstat -p and lsof do it:
 * every /proc/PID/fd/N that is a socket reads back as "socket:[INODE]"
 * (fd-walk.ts). That walk is the bulk of the time with 20,000 sockets open;
 * parallel.ts shares it with a worker thread.
 */
export interface OwnerScan {
  /** inode -> the processes holding it, in pid order. */
  readonly owners: Map<number, SocketOwner[]>
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
  readonly wanted?: ReadonlySet<number>
}

/** Owners as the walk finds them, then named once each owning process has been read once. */
export class OwnerCollector {
  readonly owners = new Map<number, Array<{pid: number; process: string; fd: number}>>()
  private readonly deniedPids: string[] = []
  /** Set when owners were added out of pid order (two threads walked). */
  private unordered = false

  constructor(
    private readonly root: string,
    private readonly wanted: ReadonlySet<number> | undefined,
  ) {}

  socket(inode: number, pid: number, fd: number): void {
    if (this.wanted !== undefined && !this.wanted.has(inode)) return
    const entry = {pid, process: '', fd}
    const list = this.owners.get(inode)
    if (list === undefined) this.owners.set(inode, [entry])
    else {
      const last = list[list.length - 1]
      if (last.pid > pid || (last.pid === pid && last.fd > fd)) this.unordered = true
      list.push(entry)
    }
  }

  denied(pidText: string): void {
    this.deniedPids.push(pidText)
  }

  finish(): OwnerScan {
    const hiddenUids = new Set<number>()
    for (const p of this.deniedPids) {
      const uid = statUid(`${this.root}/${p}`)
      if (uid !== null) hiddenUids.add(uid)
    }
    const processes = new Map<number, ProcessInfo>()
    for (const list of this.owners.values()) {
      if (this.unordered && list.length > 1) list.sort((a, b) => a.pid - b.pid || a.fd - b.fd)
      for (const o of list) {
        let info = processes.get(o.pid)
        if (info === undefined) processes.set(o.pid, (info = readProcessInfo(o.pid, this.root)))
        o.process = info.name
      }
    }
    // In pid order, as the walk of /proc lists them.
    const sorted = new Map([...processes].sort((a, b) => a[0] - b[0]))
    return {owners: this.owners, processes: sorted, hiddenUids, unreadable: this.deniedPids.length}
  }
}

export function scanSocketOwners(opts: OwnerScanOptions = {}): OwnerScan {
  const root = opts.procRoot ?? '/proc'
  const pids = listPids(root)
  const collector = new OwnerCollector(root, opts.wanted)
  let next = 0
  walkFdTables(root, pids, () => next++, collector)
  return collector.finish()
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
