// Timing whole processes for the benchmarks: wall time, and user + system CPU
// (GNU time's, 10 ms steps), which a machine shared with other work disturbs
// less than wall time. Rows are run interleaved (A, B, A, B...), so a burst of
// other work lands on every row alike, and reported as medians.
import {spawnSync} from 'node:child_process'
import {closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface ProcessRow {
  readonly name: string
  readonly argv: readonly string[]
  readonly env?: NodeJS.ProcessEnv
}

export interface RowTimes {
  readonly wall: number[]
  /** NaN where GNU time (/usr/bin/time) is missing. */
  readonly cpu: number[]
}

const GNU_TIME = '/usr/bin/time'

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** One run of argv, its output to /dev/null. Throws when it exits non-zero. */
export function timeOnce(row: ProcessRow, cwd: string): {wallMs: number; cpuMs: number} {
  const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-timing-'))
  const sink = openSync('/dev/null', 'w')
  try {
    const out = join(dir, 'time')
    const timed = existsSync(GNU_TIME)
    const argv = timed ? [GNU_TIME, '-o', out, '-f', '%U %S', ...row.argv] : [...row.argv]
    const t0 = performance.now()
    const p = spawnSync(argv[0], argv.slice(1), {cwd, env: row.env ?? process.env, stdio: ['ignore', sink, 'pipe'], maxBuffer: 16 * 1024 * 1024})
    const wallMs = performance.now() - t0
    if (p.status !== 0) throw new Error(`${row.argv.join(' ')} exited ${p.status}: ${String(p.stderr).slice(0, 2000)}`)
    if (!timed) return {wallMs, cpuMs: Number.NaN}
    const [u, s] = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number)
    return {wallMs, cpuMs: (u + s) * 1000}
  } finally {
    closeSync(sink)
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Every row `runs` times, interleaved, after `warmups` rounds that are not kept. */
export function timeInterleaved(rows: readonly ProcessRow[], runs: number, cwd: string, warmups = 1): Map<string, RowTimes> {
  const times = new Map(rows.map((r) => [r.name, {wall: [] as number[], cpu: [] as number[]}]))
  for (let round = 0; round < warmups + runs; round++) {
    for (const row of rows) {
      const t = timeOnce(row, cwd)
      if (round < warmups) continue
      times.get(row.name)!.wall.push(t.wallMs)
      times.get(row.name)!.cpu.push(t.cpuMs)
    }
  }
  return times
}

export function ms(v: number): string {
  return Number.isNaN(v) ? '    -' : `${v.toFixed(0).padStart(5)}`
}
