// What the soak samples every second: a process's resident memory and open
// descriptors from /proc, and the server's connections as ss sees them.
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'

export interface ProcSample {
  /** VmRSS, MiB. */
  readonly rssMb: number
  readonly fds: number
  /** CPU time used so far (user + system), seconds. */
  readonly cpuS: number
}

/** RSS and open descriptors of a live process; undefined once it is gone. */
export function probe(pid: number | undefined): ProcSample | undefined {
  if (pid === undefined) return undefined
  try {
    // A process that has exited but not been reaped (a zombie) has no VmRSS: it is gone.
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    if (kb === undefined) return undefined
    // utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks (100 a second on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return {rssMb: Number(kb) / 1024, fds: readdirSync(`/proc/${pid}/fd`).length, cpuS: (Number(stat[11]) + Number(stat[12])) / 100}
  } catch {
    return undefined
  }
}

/** Established TCP connections on the server's port, counted by ss (the peer figure for serve's descriptors). */
export function ssEstablished(port: number): number | undefined {
  try {
    const out = execFileSync('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`], {encoding: 'utf8', timeout: 2000})
    return out.split('\n').filter((l) => l.trim() !== '').length
  } catch {
    return undefined
  }
}

/** start, peak and end of a curve (undefined points skipped). */
export function curve(values: ReadonlyArray<number | undefined>): {start?: number; peak?: number; end?: number} {
  const v = values.filter((x): x is number => x !== undefined)
  return v.length === 0 ? {} : {start: v[0], peak: Math.max(...v), end: v.at(-1)}
}
