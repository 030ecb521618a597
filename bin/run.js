#!/usr/bin/env node
// rpcdiag as users run it (bin/rpcdiag, the launcher on the PATH, loads
// this file; `node bin/run.js` is the same run): the build in dist/
// (`npm run build`; `npm ci` runs it), CommonJS bundles of oclif and of each
// command made by scripts/build.mjs, described by the oclif.manifest.json the
// build writes beside package.json, where oclif reads it. Start-up is most of
// a one-shot command's time: see bench/startup.ts. Two ways around oclif,
// taken only when oclif could do nothing else: `--version`, and the commands
// in DIRECT.
const {existsSync, readFileSync} = require('node:fs')
const os = require('node:os')
const {join} = require('node:path')

// The package root, where package.json and oclif.manifest.json are (this
// folder's package.json only makes this file CommonJS, which starts faster
// than an ES module).
const root = join(__dirname, '..')

/**
 * Whether oclif, once loaded, could do more in this run than rpcdiag's own
 * code: print DEBUG output (DEBUG, or RPCDIAG_DEBUG, its own debug setting),
 * or load user or linked plugins (oclif reads them, with any hooks they
 * bring, from its data dir package.json). The one home of this decision for
 * both ways around oclif below.
 */
function oclifCouldAddToRun(pjson) {
  const scope = pjson.oclif.bin.toUpperCase().replaceAll('-', '_')
  if (process.env.DEBUG !== undefined || process.env[`${scope}_DEBUG`] !== undefined) return true
  const dataDir = process.env[`${scope}_DATA_DIR`] || join(process.env.XDG_DATA_HOME || join(process.env.HOME || os.homedir(), '.local/share'), pjson.oclif.dirname)
  return existsSync(join(dataDir, 'package.json'))
}

/**
 * `rpcdiag --version` answered without loading oclif, which would only print
 * its config.userAgent: "<name>/<version> <platform>-<arch> node-<version>".
 * Loading oclif and its plugins to say that was two thirds of the command's
 * time. Only when nothing could change oclif's answer or add to it: nothing
 * oclifCouldAddToRun, Linux and not WSL (oclif says "wsl" there), no extra
 * version flags. test/cli/start-up.test.ts checks the line against oclif's own.
 */
function versionWithoutOclif(argv, pjson) {
  if (argv[0] !== '--version' || process.platform !== 'linux') return undefined
  if ((pjson.oclif.additionalVersionFlags ?? []).length > 0 || oclifCouldAddToRun(pjson)) return undefined
  if (os.release().toLowerCase().includes('microsoft') || existsSync('/proc/sys/fs/binfmt_misc/WSLInterop') || existsSync('/run/WSL')) return undefined
  try {
    if (readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft')) return undefined
  } catch {}
  const arch = os.arch() === 'ia32' ? 'x86' : os.arch()
  return `${pjson.name}/${pjson.version} linux-${arch} node-${process.version}`
}

// Commands run directly, without oclif's Config, plugins and manifest: each
// from its own bundle, dist/direct/<id>.cjs, which parses argv with oclif's
// own parser and prints failures as the command would under oclif
// (src/cli/direct-run.ts; test/cli/direct-run.test.ts compares the two ways).
const DIRECT = new Set(['call', 'sockets', 'sniff'])

// The hooks package.json may declare that a direct run passes over, because
// they do nothing for these commands: the completion hook acts after
// `autocomplete` only (src/cli/completion-hook.ts), command_not_found fires
// for a command that does not exist. Any other hook (init, prerun, preparse,
// postrun elsewhere, finally) sends the run through oclif.
const HOOKS_A_DIRECT_RUN_SKIPS = {command_not_found: './dist/hooks/not-found.cjs', postrun: './dist/hooks/completion.cjs'}

/**
 * The command to run directly, or undefined for oclif's way. Only when oclif
 * could do nothing else: argv starts with a command in DIRECT (oclif finds
 * the same one: no command id extends it), no help flag before `--` (oclif
 * shows help for one anywhere there), no hook but those above, nothing
 * oclifCouldAddToRun. The plugins package.json lists (help, autocomplete)
 * bring commands but no hook a command run fires: test/cli/direct-run.test.ts
 * holds them to that. RPCDIAG_DIRECT=0 takes oclif's way (to compare);
 * RPCDIAG_DIRECT=show says on stderr when the direct way is taken.
 */
function directCommand(argv, pjson) {
  if (!DIRECT.has(argv[0]) || process.env.RPCDIAG_DIRECT === '0') return undefined
  const help = ['--help', ...(pjson.oclif.additionalHelpFlags ?? [])]
  for (const arg of argv) {
    if (arg === '--') break
    if (help.includes(arg)) return undefined
  }
  if (Object.entries(pjson.oclif.hooks ?? {}).some(([event, file]) => HOOKS_A_DIRECT_RUN_SKIPS[event] !== file)) return undefined
  return oclifCouldAddToRun(pjson) ? undefined : argv[0]
}

/** What oclif's execute() does, but waiting out a slow reader (drained.js). */
function runOclif(argv) {
  const {handle, run, settings} = require('../dist/oclif.cjs')
  // The build is what runs, even when NODE_ENV is test or development: oclif
  // would otherwise look for the TypeScript sources of dist/commands and try
  // to register tsx or ts-node for them.
  settings.enableAutoTranspile = false
  return run(argv, root).then(require('./drained.js')).catch(handle)
}

const argv = process.argv.slice(2)
// package.json is read here only when a way around oclif may be taken (oclif reads it itself).
const pjson = argv[0] === '--version' || DIRECT.has(argv[0]) ? JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) : undefined
const version = pjson === undefined ? undefined : versionWithoutOclif(argv, pjson)
const direct = pjson === undefined || version !== undefined ? undefined : directCommand(argv, pjson)
if (version !== undefined) {
  process.stdout.write(`${version}\n`)
} else if (direct !== undefined) {
  // What oclif's command.js does when it loads: stdout's reader gone (`| head`)
  // is no error; the run goes on to its end and its own exit code.
  process.stdout.on('error', (err) => {
    if (err && err.code === 'EPIPE') return
    throw err
  })
  const {exports: command, cache} = require('./code-cache.js').requireCached(join(root, 'dist', 'direct', `${direct}.cjs`))
  if (process.env.RPCDIAG_DIRECT === 'show') process.stderr.write(`rpcdiag: direct run of ${direct} (code cache ${cache})\n`)
  // Its flags may still leave the run to oclif (a load test, a live capture, sockets --watch): then oclif's way, from the start.
  command.run(argv.slice(1), pjson.oclif.bin, {stdout: process.stdout, stderr: process.stderr}).then(async (outcome) => {
    // Done, and its output drained: exit now (with its failure's code), as
    // oclif's handle() does after a failure, rather than by the event loop
    // running dry, which then tears down the heap and V8's threads first
    // (~10 ms for a call: bench/startup.ts).
    if (!outcome.leftToOclif) {
      // (drained.js only when there is something to wait for: loading it is ~0.4 ms)
      if (process.stdout.writableNeedDrain) await require('./drained.js')()
      process.exit(outcome.exit)
    }
    if (process.env.RPCDIAG_DIRECT === 'show') process.stderr.write(`rpcdiag: ${direct} left to oclif\n`)
    return runOclif(argv)
  })
} else {
  runOclif(argv)
}
