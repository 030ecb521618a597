// The benchmarks time the built CLI: build this tree's dist/ first, so a stale
// build is never what gets measured.
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

export function buildDist(): void {
  process.stdout.write('building dist/ (node scripts/build.mjs) ... ')
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], {cwd: ROOT, encoding: 'utf8'})
  if (b.status !== 0) throw new Error(`build failed:\n${b.stdout}\n${b.stderr}`)
  console.log('done')
}
