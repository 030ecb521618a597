import {readdirSync, readFileSync} from 'node:fs'

/** Descriptors kept free for what a server opens besides connections (files, DNS, pipes, the log). */
const MIN_HEADROOM = 16

/**
 * How many connections a server can hold before the process runs out of file
 * descriptors (RLIMIT_NOFILE, `ulimit -n`): the soft limit, less what is open
 * now, less a headroom of a tenth of the limit (at least 16). Past it, accept()
 * fails with EMFILE, and libuv then accepts and closes each client on a
 * reserved descriptor without telling anyone; a server that stops short of the
 * limit can drop the client itself and say so. Linux /proc; undefined elsewhere
 * or without a limit.
 */
export function connectionCeiling(proc = '/proc/self'): {readonly ceiling: number; readonly limit: number; readonly open: number; readonly headroom: number} | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(readFileSync(`${proc}/limits`, 'utf8'))
    if (m === null || m[1] === 'unlimited') return undefined
    const limit = Number(m[1])
    const open = readdirSync(`${proc}/fd`).length
    const headroom = Math.max(MIN_HEADROOM, Math.ceil(limit / 10))
    return {ceiling: Math.max(1, limit - open - headroom), limit, open, headroom}
  } catch {
    return undefined
  }
}
