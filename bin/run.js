#!/usr/bin/env node
// rpcdiag as users run it: the build in dist/ (`npm run build`; `npm ci` runs
// it), CommonJS bundles of oclif and of each command made by
// scripts/build.mjs, described by the oclif.manifest.json the build writes
// beside package.json, where oclif reads it. Start-up is most of a one-shot
// command's time: see bench/startup.ts.
const {existsSync, readFileSync} = require('node:fs')
const os = require('node:os')
const {join} = require('node:path')

// The package root, where package.json and oclif.manifest.json are (this
// folder's package.json only makes this file CommonJS, which starts faster
// than an ES module).
const root = join(__dirname, '..')

/**
 * `rpcdiag --version` answered without loading oclif, which would only print
 * its config.userAgent: "<name>/<version> <platform>-<arch> node-<version>".
 * Loading oclif and its plugins to say that was two thirds of the command's
 * time. Only when nothing could change oclif's answer or add to it: no DEBUG
 * output asked for, Linux and not WSL (oclif says "wsl" there), no extra
 * version flags, and no user or linked plugins (oclif reads them, with any
 * init hooks they bring, from its data dir). test/cli/start-up.test.ts checks
 * the line against oclif's own.
 */
function versionWithoutOclif() {
  if (process.argv[2] !== '--version' || process.env.DEBUG !== undefined || process.platform !== 'linux') return undefined
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  if ((pjson.oclif.additionalVersionFlags ?? []).length > 0) return undefined
  const scope = pjson.oclif.bin.toUpperCase().replaceAll('-', '_')
  const dataDir = process.env[`${scope}_DATA_DIR`] || join(process.env.XDG_DATA_HOME || join(process.env.HOME || os.homedir(), '.local/share'), pjson.oclif.dirname)
  if (existsSync(join(dataDir, 'package.json'))) return undefined
  if (os.release().toLowerCase().includes('microsoft') || existsSync('/proc/sys/fs/binfmt_misc/WSLInterop') || existsSync('/run/WSL')) return undefined
  try {
    if (readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft')) return undefined
  } catch {}
  const arch = os.arch() === 'ia32' ? 'x86' : os.arch()
  return `${pjson.name}/${pjson.version} linux-${arch} node-${process.version}`
}

const version = versionWithoutOclif()
if (version === undefined) {
  const {handle, run, settings} = require('../dist/oclif.cjs')
  // The build is what runs, even when NODE_ENV is test or development: oclif
  // would otherwise look for the TypeScript sources of dist/commands and try
  // to register tsx or ts-node for them.
  settings.enableAutoTranspile = false
  // What oclif's execute() does, but waiting out a slow reader (drained.js).
  run(process.argv.slice(2), root).then(require('./drained.js')).catch(handle)
} else {
  process.stdout.write(`${version}\n`)
}
