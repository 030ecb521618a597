import {execFile} from 'node:child_process'
import {readdirSync, readlinkSync} from 'node:fs'

// cap does not expose pcap_stats(), so the kernel's drop count for its packet
// socket is read where ss reads it: sock_diag's meminfo, the "d" (sk_drops) in
// `ss -0 -e -m`. The socket is found by inode: the packet sockets that appear
// in /proc/self/fd while the capture opens are the capture's.

/** Inodes of the sockets this process has open (Linux; empty elsewhere). */
export function socketInodes(): Set<number> {
  const inodes = new Set<number>()
  let fds: string[]
  try {
    fds = readdirSync('/proc/self/fd')
  } catch {
    return inodes
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))
      if (m) inodes.add(Number(m[1]))
    } catch {
      // The fd closed while listing (readdir's own fd, for one).
    }
  }
  return inodes
}

/** Parse `ss -0 -e -m -n` output: inode -> drop count. Continuation lines are joined to their socket. */
export function parseSsDrops(text: string): Map<number, number> {
  const drops = new Map<number, number>()
  const records: string[] = []
  for (const line of text.split('\n')) {
    if (/^\s/.test(line) && records.length > 0) records[records.length - 1] += ' ' + line.trim()
    else if (line.trim() !== '') records.push(line)
  }
  for (const r of records) {
    const ino = /\bino:(\d+)/.exec(r)
    const d = /skmem:\([^)]*\bd(\d+)\)/.exec(r)
    if (ino && d) drops.set(Number(ino[1]), Number(d[1]))
  }
  return drops
}

/** Drops summed over the given packet sockets; undefined when ss is missing or shows none of them. */
export function packetSocketDrops(inodes: ReadonlySet<number>): Promise<number | undefined> {
  if (inodes.size === 0) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    execFile('ss', ['-0', '-e', '-m', '-n'], {timeout: 5000}, (error, stdout) => {
      if (error) return resolve(undefined)
      const drops = parseSsDrops(stdout)
      let total: number | undefined
      for (const ino of inodes) {
        const d = drops.get(ino)
        if (d !== undefined) total = (total ?? 0) + d
      }
      resolve(total)
    })
  })
}
