// Timing a whole command under GNU time (/usr/bin/time): wall, CPU, peak RSS,
// stdout to /dev/null. Shared by the benchmarks that compare rpcdiag's commands
// with a peer tool's.
import {execFileSync} from 'node:child_process'
import {closeSync, openSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface Timed {
  wall: number
  user: number
  sys: number
  rssMb: number
}

/** Run argv with stdout to /dev/null (or to the file `stdout`) under GNU time: wall, CPU, peak RSS. */
export function timed(argv: string[], stdout = '/dev/null'): Timed {
  const fmtFile = join(tmpdir(), `rpcdiag-bench-time-${process.pid}`)
  const devnull = openSync(stdout, 'w')
  try {
    execFileSync('/usr/bin/time', ['-o', fmtFile, '-f', '%e %U %S %M', ...argv], {stdio: ['ignore', devnull, 'ignore']})
  } finally {
    closeSync(devnull)
  }
  const [wall, user, sys, kb] = readFileSync(fmtFile, 'utf8').trim().split(/\s+/).map(Number)
  rmSync(fmtFile)
  return {wall, user, sys, rssMb: kb / 1024}
}

export function median(runs: Timed[]): Timed {
  const by = [...runs].sort((a, b) => a.wall - b.wall)
  const m = by[Math.floor(by.length / 2)]
  return {...m, rssMb: Math.max(...runs.map((r) => r.rssMb))}
}
