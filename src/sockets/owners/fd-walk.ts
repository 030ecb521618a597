import {readdirSync, readlinkSync} from 'node:fs'

/**
 * The walk under the owner scan: every /proc/PID/fd/N that is a socket reads
 * back as "socket:[INODE]". One readlink per open file descriptor on the
 * machine, as ss -p, netstat -p and lsof do it. The calls are synchronous:
 * readlinkSync measured about twice as fast as fs.promises.readlink here (the
 * thread-pool hop costs more than the call). Two threads can share one walk
 * (parallel.ts): each takes the next process from `claim`.
 */
export interface FdSink {
  /** One socket fd: its inode, the process and the fd number. */
  socket(inode: number, pid: number, fd: number): void
  /** A process whose fd table we may not read (another user, not root). */
  denied(pidText: string): void
}

const SOCKET_PREFIX = 'socket:['
const ZERO = 48 // '0'

/** The names in root that are process ids. */
export function listPids(root: string): string[] {
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return []
  }
  return names.filter((n) => {
    const c = n.charCodeAt(0)
    return c >= 48 && c <= 57
  })
}

/** Walk the fd tables of pids[claim()] until claim() returns an index past the end. */
export function walkFdTables(root: string, pids: readonly string[], claim: () => number, sink: FdSink): void {
  for (let i = claim(); i < pids.length; i = claim()) {
    const pidText = pids[i]
    const base = `${root}/${pidText}/fd/`
    let fds: string[]
    try {
      fds = readdirSync(base)
    } catch (e) {
      // EACCES: another user's process and we are not root. ENOENT: it exited.
      if ((e as NodeJS.ErrnoException).code === 'EACCES') sink.denied(pidText)
      continue
    }
    const pid = Number(pidText)
    for (const fdText of fds) {
      let link: string
      try {
        link = readlinkSync(base + fdText)
      } catch {
        continue // closed between readdir and readlink
      }
      if (!link.startsWith(SOCKET_PREFIX)) continue
      // "socket:[INODE]": the digits, read in place (no slice, no Number() of a string).
      let inode = 0
      for (let j = SOCKET_PREFIX.length; j < link.length - 1; j++) inode = inode * 10 + (link.charCodeAt(j) - ZERO)
      let fd = 0
      for (let j = 0; j < fdText.length; j++) fd = fd * 10 + (fdText.charCodeAt(j) - ZERO)
      sink.socket(inode, pid, fd)
    }
  }
}
