// Tests that drop to another user (uid 65534, nobody) to see what an
// unprivileged user sees. That user cannot run code out of a checkout it
// cannot enter, and a clone in root's home (/root, mode 0700) is one: so what
// such a test runs is copied to a fresh directory under the system temp dir,
// mode 0755, that any user can enter and read.
import {execFileSync} from 'node:child_process'
import {chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

export const NOBODY = 65_534

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const made: string[] = []

/** A new directory any user can enter (removed by removeReachableDirs). */
export function reachableDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  chmodSync(dir, 0o755)
  made.push(dir)
  return dir
}

export function removeReachableDirs(): void {
  for (const d of made.splice(0)) rmSync(d, {recursive: true, force: true})
}

/** Copy an installed package's runtime files (a native addon's build included) under dir/node_modules. */
function copyPackage(dir: string, name: string, parts: readonly string[]): void {
  for (const part of parts) cpSync(join(ROOT, 'node_modules', name, part), join(dir, 'node_modules', name, part), {recursive: true})
}

/**
 * Bundle a TypeScript entry (and everything it imports from the sources) into
 * one ES module in a reachable directory; `cap`, a native addon, is copied
 * beside it instead. Returns the bundle's path: `node PATH` runs it as any user.
 */
export async function bundleForOtherUser(entry: string): Promise<string> {
  const dir = reachableDir('rpcdiag-other-user-')
  const outfile = join(dir, 'entry.mjs')
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['cap'],
    banner: {js: "import {createRequire as __cr} from 'node:module';const require=__cr(import.meta.url);"},
    logLevel: 'warning',
  })
  copyPackage(dir, 'cap', ['package.json', 'lib', 'build/Release/cap.node'])
  execFileSync('chmod', ['-R', 'a+rX', dir])
  return outfile
}

/**
 * The built CLI (scripts/build.mjs) in a reachable directory: DIR/bin (run.js and what it requires),
 * DIR/dist, DIR/package.json. oclif's plugins (help, autocomplete) are left
 * out: the commands need none of them.
 */
export function builtCliForOtherUser(): string {
  const dir = reachableDir('rpcdiag-cli-')
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--out', join(dir, 'dist')], {stdio: 'ignore'})
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), {recursive: true})
  const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  pjson.oclif.plugins = []
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pjson))
  execFileSync('chmod', ['-R', 'a+rX', dir])
  return join(dir, 'bin', 'run.js')
}
