// The benchmarks time the built CLI: build this tree's dist/ first, so a stale
// build is never what gets measured.
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/**
 * The command a user of the checkout in dir (default this one) types: its
 * launcher bin/rpcdiag (package.json's bin, which starts node on bin/run.js
 * without NODE_EXTRA_CA_CERTS), or node on bin/run.js in a checkout from
 * before the launcher (a --before=DIR).
 */
export function rpcdiagCommand(dir: string = ROOT): string[] {
  const launcher = join(dir, 'bin', 'rpcdiag')
  return existsSync(launcher) ? [launcher] : [process.execPath, join(dir, 'bin', 'run.js')]
}

/** rpcdiag with args, as spawn() and execFileSync() take it: the program, then its arguments. */
export function rpcdiagSpawn(args: readonly string[], dir: string = ROOT): [string, string[]] {
  const [program, ...first] = rpcdiagCommand(dir)
  return [program, [...first, ...args]]
}

export function buildDist(): void {
  process.stdout.write('building dist/ (node scripts/build.mjs) ... ')
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], {cwd: ROOT, encoding: 'utf8'})
  if (b.status !== 0) throw new Error(`build failed:\n${b.stdout}\n${b.stderr}`)
  console.log('done')
}
