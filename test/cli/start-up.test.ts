// How bin/run.js starts: oclif finds rpcdiag's commands, flags and help text in
// the oclif.manifest.json the build writes beside package.json (where oclif
// reads a plugin's manifest), through its public options only. Without it,
// oclif imports every command on every start: nothing would fail, start-up
// would just be slow, so this test is what notices.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

import {beforeAll, describe, expect, it} from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')
// What bin/run.js runs: the bundled oclif, configured from the package root.
const oclif = () => createRequire(import.meta.url)(`${ROOT}/dist/oclif.cjs`) as typeof import('@oclif/core')
const commandIds = readdirSync(`${ROOT}/commands`)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort()

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], {cwd: ROOT, stdio: 'inherit'})
}, 120_000)

describe('start-up of the built CLI', () => {
  it('the root plugin is loaded from oclif.manifest.json, which lists every command with its flags', async () => {
    oclif().settings.enableAutoTranspile = false
    const config = await oclif().Config.load(ROOT)
    const root = config.plugins.get('rpcdiag') as import('@oclif/core').Plugin
    expect(root.isRoot).toBe(true)
    expect(root.hasManifest).toBe(true)
    expect(Object.keys(root.manifest.commands).sort()).toEqual(commandIds)
    expect(root.manifest.version).toBe(JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).version)
    expect(Object.keys(config.findCommand('call')!.flags)).toContain('repeat')
  })

  it('the plugins of package.json are loaded beside it', async () => {
    const config = await oclif().Config.load(ROOT)
    const listed = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).oclif.plugins as string[]
    expect(listed.length).toBeGreaterThan(0)
    expect([...config.plugins.keys()].sort()).toEqual([...listed, 'rpcdiag'].sort())
  })

  it('--version prints what oclif prints, with and without oclif loaded', async () => {
    const oclifSays = (await oclif().Config.load(ROOT)).userAgent
    const run = (env: NodeJS.ProcessEnv) => execFileSync(process.execPath, [`${ROOT}/bin/run.js`, '--version'], {env: {...process.env, ...env}, encoding: 'utf8'})
    // Without oclif: nothing in the environment asks for it.
    expect(run({DEBUG: undefined})).toBe(`${oclifSays}\n`)
    // Through oclif: a user plugin list in its data dir (oclif would load those plugins and their hooks).
    const data = mkdtempSync(join(tmpdir(), 'rpcdiag-data-'))
    try {
      writeFileSync(join(data, 'package.json'), JSON.stringify({private: true, oclif: {plugins: []}}))
      expect(run({DEBUG: undefined, RPCDIAG_DATA_DIR: data})).toBe(`${oclifSays}\n`)
    } finally {
      rmSync(data, {recursive: true, force: true})
    }
  })
})
