// bin/rpcdiag, package.json's bin, read by sh and then by node: sh starts
// node on it without NODE_EXTRA_CA_CERTS (node 20 parses that bundle before
// any JavaScript runs), and its JavaScript puts the setting back into the
// environment before loading run.js, so the processes rpcdiag starts get it as
// it was given.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, describe, expect, it} from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')
const LAUNCHER = join(ROOT, 'bin', 'rpcdiag')
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version

const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-launcher-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

// Loaded by node before the launcher's JavaScript (NODE_OPTIONS=--require):
// at exit it writes the two settings as the run left them.
const REPORT = join(dir, 'report-env.cjs')
writeFileSync(
  REPORT,
  `process.on('exit', () => process.stderr.write('env ' + JSON.stringify({extra: process.env.NODE_EXTRA_CA_CERTS ?? null, saved: process.env.RPCDIAG_NODE_EXTRA_CA_CERTS ?? null}) + '\\n'))\n`,
)

/** A run of `cmd --version` with env replacing the test's NODE_EXTRA_CA_CERTS and RPCDIAG_NODE_EXTRA_CA_CERTS. */
function version(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  const base: NodeJS.ProcessEnv = {...process.env, NODE_OPTIONS: `--require ${REPORT}`}
  delete base.NODE_EXTRA_CA_CERTS
  delete base.RPCDIAG_NODE_EXTRA_CA_CERTS
  const r = spawnSync(cmd, [...args, '--version'], {env: {...base, ...env}, encoding: 'utf8', timeout: 30_000})
  const line = /^env (.*)$/m.exec(r.stderr)
  return {status: r.status, stdout: r.stdout, stderr: r.stderr, env: line ? JSON.parse(line[1]) : undefined}
}

describe('bin/rpcdiag', () => {
  const missing = join(dir, 'no-such-bundle.pem')

  it('node starts without NODE_EXTRA_CA_CERTS: no warning for a bundle that cannot be read, where node run on the file itself gives one', () => {
    const launched = version(LAUNCHER, [], {NODE_EXTRA_CA_CERTS: missing})
    expect(launched.status).toBe(0)
    expect(launched.stdout).toMatch(new RegExp(`^rpcdiag/${VERSION.replaceAll('.', '\\.')} `))
    expect(launched.stderr).not.toContain('extra certs')
    // The same run with node started on the file directly (as Yarn Berry runs a bin): node read the
    // setting, so the check above can fail. Node 20 reads it at start-up; a node that reads it only when
    // TLS is first used would warn in neither run, and the launcher would spare it nothing.
    const direct = version(process.execPath, [LAUNCHER], {NODE_EXTRA_CA_CERTS: missing})
    expect(direct.status).toBe(0)
    expect(direct.stdout).toMatch(new RegExp(`^rpcdiag/${VERSION.replaceAll('.', '\\.')} `))
    expect(direct.env).toEqual({extra: missing, saved: null})
    if (process.versions.node.startsWith('20.')) expect(direct.stderr).toContain(`Ignoring extra certs from \`${missing}\``)
  })

  it('the setting is back as it was given (set, empty, or not set), its carrier gone', () => {
    expect(version(LAUNCHER, [], {NODE_EXTRA_CA_CERTS: missing}).env).toEqual({extra: missing, saved: null})
    expect(version(LAUNCHER, [], {NODE_EXTRA_CA_CERTS: ''}).env).toEqual({extra: '', saved: null})
    expect(version(LAUNCHER, [], {}).env).toEqual({extra: null, saved: null})
    // The carrier's name set in the caller's environment, with no setting to carry: nothing is made of it.
    expect(version(LAUNCHER, [], {RPCDIAG_NODE_EXTRA_CA_CERTS: missing}).env).toEqual({extra: null, saved: null})
  })

  it('runs through a chain of links, as npm link and npm install -g leave it, and from its own folder', () => {
    symlinkSync(LAUNCHER, join(dir, 'first'))
    symlinkSync('first', join(dir, 'rpcdiag'))
    const linked = version(join(dir, 'rpcdiag'), [], {NODE_EXTRA_CA_CERTS: missing})
    expect(linked.status).toBe(0)
    expect(linked.stdout).toContain(`rpcdiag/${VERSION} `)
    expect(linked.env).toEqual({extra: missing, saved: null})
    const r = spawnSync('sh', ['rpcdiag', '--version'], {cwd: join(ROOT, 'bin'), encoding: 'utf8', timeout: 30_000})
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`rpcdiag/${VERSION} `)
  })
})
