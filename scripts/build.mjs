// Builds dist/, what ./bin/run.js runs: an esbuild bundle of the CLI plus the
// oclif manifest of its commands. Start-up is most of a one-shot command's
// time (issue 3: `rpcdiag call` <= 200 ms; issue 6: `sockets --json` <= 1.5x
// ss), and unbundled, node spends it finding, reading and compiling the ~700
// files @oclif/core pulls in from node_modules. bench/startup.ts measures it.
//
//   node scripts/build.mjs      (`npm run build` type-checks first, then runs this)
//   node scripts/build.mjs --out DIR/dist
//                               the same build elsewhere (tests that run the CLI
//                               as another user copy it to a directory that user
//                               can enter: test/helpers/other-user.ts)
//
// Layout, all CommonJS (node's require() is cheaper to start than its ESM
// loader, and bin/ is CommonJS too: bin/package.json):
//   dist/oclif.cjs          @oclif/core and its dependencies, one file; re-exports
//                           what bin/run.js and the commands import from it
//   dist/commands/<id>.cjs  one self-contained file per command, with everything
//                           it imports except @oclif/core (taken from ../oclif.cjs,
//                           so there is one oclif). Modules a command loads with
//                           `await import(...)` are in the same file and still
//                           run only when reached; a run reads two files instead
//                           of one per lazy import (esbuild --splitting made 70
//                           chunks, 30 of them read by a one-shot call: 40 ms).
//   dist/commands/table-worker.cjs
//                           the worker thread sniff (and demo) start with
//                           new URL('./table-worker.cjs',
//                           import.meta.url): beside the command file that runs
//                           that line; package.json oclif.commands.globPatterns
//                           keeps oclif from taking it for a command
//   dist/report-page.{js,css}
//                           the HTML report's script (uPlot included) and
//                           styles, inlined into each report by the commands
//                           that write one (src/report/page-assets.ts reads
//                           them one folder up from the command file; not in
//                           commands/, where oclif would take it for a command)
//   dist/help/, dist/hooks/ the help class and the command_not_found and postrun hooks
//   dist/direct/call.cjs    the direct run of a one-shot call (bin/run.js runs it
//                           without oclif's Config: src/cli/direct-run.ts): its own
//                           copy of oclif's parser and flag builders (not
//                           ../oclif.cjs, which would load all of oclif), the
//                           call's wiring without the load test; written in
//                           node's CommonJS wrapper and stamped with a build id
//                           on its last line, for bin/code-cache.js, which alone
//                           loads it
//   dist/direct/call.cjs.v8cache
//                           its V8 code cache, written after two training calls,
//                           one answered, one refused (bin/code-cache.js reads
//                           and writes it)
//   dist/direct/sockets.cjs (and .v8cache) the same for a `sockets` snapshot
//   dist/direct/sniff.cjs (and .v8cache) the same for `sniff --read`; the
//                           sources in it that find files beside their own
//                           (the worker, the report page) see the URL of
//                           dist/commands/sniff.cjs (scripts/direct-import-meta.js)
//   oclif.manifest.json     (at the package root, where oclif reads it; beside
//                           DIR with --out DIR/dist) what
//                           oclif would otherwise learn on every start by
//                           importing every command; bin/dev.js loads the
//                           sources without it
//
// It is all written to a staging folder and then swapped in, so a run of
// bin/run.js during a build (tests, other developers in this checkout) sees
// the old dist/ or the new one, never a half-written one.
//
// Left out of the bundle: cap (a native addon), systeminformation (only behind
// the hidden `sockets --source systeminformation`), and what oclif's
// TypeScript support would load (switched off for the build: see bin/run.js).
//
// oclif's check of node against @oclif/core's own engines (>= 18) is turned
// off with its own OCLIF_DISABLE_ENGINE_WARNING: it finds that package.json
// through __dirname, which an ES module does not have, so in the bundle it
// always failed silently, after loading semver for nothing (~4 ms). Our
// engines (>= 20.19) are npm's to check. oclif's code is bundled as it is:
// patching it saved another ~12 ms (its ICU collator start), not worth a
// build that edits a dependency's source.

import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {createServer} from 'node:net'
import {cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import Module, {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

import {reportPageOptions} from './report-page.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '')
const outAt = process.argv.indexOf('--out')
const DIST = outAt > 0 ? process.argv[outAt + 1].replace(/\/$/, '') : `${ROOT}/dist`
// Inside the package (the manifest is made by oclif from the package root),
// on the same file system as dist/ (rename), ignored by git, unique per build.
const STAGE = `${ROOT}/node_modules/.cache/rpcdiag-dist-${process.pid}`
const WORKER = 'table-worker'
const HELP = 'rpcdiag-help'

const started = performance.now()
const require = createRequire(import.meta.url)

const commands = readdirSync(`${ROOT}/commands`)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
// Every name @oclif/core exports, so any `import {X} from '@oclif/core'` in
// the commands finds X in dist/oclif.cjs.
const coreExports = Object.keys(require('@oclif/core')).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default')

// Modules oclif requires when it loads but uses only on paths a start rarely
// takes: each is run the first time one of its exports is read. Together they
// are ~250 kB of oclif's bundle and two node built-ins not otherwise loaded.
//   semver         the engines check compiled out below
//   ejs            help templates and the update config
//   tinyglobby     finding commands without a manifest
//   cli-spinners   ux.action's spinner
//   node:readline  reading a flag's value from stdin
//   node:child_process  the Windows shell check
const LAZY = ['semver', 'ejs', 'tinyglobby', 'cli-spinners', 'node:readline', 'node:child_process']
// In a direct run's bundle (dist/direct/, without oclif's Config), also the
// parts of oclif its flag builders, parser and errors require but a direct run
// never uses (help and the ux behind it are oclif's way, and rpcdiag prints
// its own errors): by the end of the oclif file that requires them.
//   errors/handle, help, ux
//           not in the bundle at all: if ever used, loaded then from
//           @oclif/core itself (node_modules), by their public paths
//   screen, ux/theme, debug, wrap-ansi, clean-stack, indent-string
//           in the bundle, run on first use (an error's text, DEBUG output)
//   node:fs/promises
//           the flag builders' file checks, and --json @file
//   node:module, node:worker_threads
//           sniff --read: the live capture's cap addon (createRequire) and
//           process attribution (a worker thread)
//   (node:child_process, in LAZY: sniff --read starts no capture process)
const DIRECT_LAZY = {
  '/lib/errors/handle': '@oclif/core/handle',
  '/lib/help': '@oclif/core/help',
  '/lib/help/index': '@oclif/core/help',
  '/lib/ux': '@oclif/core/ux',
  '/lib/ux/index': '@oclif/core/ux',
  '/lib/screen': undefined,
  '/lib/ux/theme': undefined,
}
const DIRECT_LAZY_NAMES = ['debug', 'wrap-ansi', 'clean-stack', 'indent-string', 'node:fs/promises', 'node:module', 'node:worker_threads']

/**
 * require(one of `names`, or of an oclif file whose path ends with a key of
 * `files`) becomes a stand-in that requires the module on first use: the
 * module itself, bundled, or where `files` says so another module, left out
 * of the bundle and required from node_modules. oclif's compiled TypeScript
 * reads exports at call time ((0, x_1.fn)(...), x_1.default.render(...));
 * __importDefault asks for __esModule at once, so the stand-in answers that
 * one from the build. Its target is a bound function: callable and
 * constructible (new x_1.Thing()), with no own `prototype` to report.
 */
function lazyModules(names, files = {}) {
  return {
    name: 'rpcdiag-lazy-modules',
    setup(b) {
      const suffix = (a) => (a.path.startsWith('.') ? Object.keys(files).find((f) => join(a.resolveDir, a.path).endsWith(f)) : undefined)
      const external = new Set(Object.values(files).filter((x) => x !== undefined))
      b.onResolve({filter: /.*/}, (a) => {
        if (a.namespace === 'rpcdiag-lazy') return external.has(a.path) ? {path: a.path, external: true} : undefined
        if (names.includes(a.path)) return {path: a.path, namespace: 'rpcdiag-lazy', pluginData: {dir: a.resolveDir, load: a.path}}
        const f = suffix(a)
        return f === undefined ? undefined : {path: a.path, namespace: 'rpcdiag-lazy', pluginData: {dir: a.resolveDir, load: files[f] ?? a.path}}
      })
      b.onLoad({filter: /.*/, namespace: 'rpcdiag-lazy'}, (a) => {
        const {dir, load} = a.pluginData
        const builtin = a.path.startsWith('node:')
        const esModule = builtin ? false : Boolean(require(require.resolve(a.path, {paths: [dir]})).__esModule)
        // A built-in's export names are known now: an ES module importing it
        // (esbuild's __toESM copies the names, as getters, and asks each one's
        // descriptor) then does not load it; each name is read when used. Names
        // a later node adds are not there (none is used that this node lacks).
        const keys = builtin ? JSON.stringify(Object.keys(require(a.path))) : undefined
        return {
          resolveDir: dir,
          loader: 'js',
          contents: `let m
const get = () => (m ??= require(${JSON.stringify(load)}))
${keys === undefined ? '' : `const names = ${keys}\n`}module.exports = new Proxy(function () {}.bind(), {
  get: (_, k) => (k === '__esModule' ? ${esModule} : get()[k]),
  apply: (_, self, args) => Reflect.apply(get(), self, args),
  construct: (_, args) => Reflect.construct(get(), args),
  has: (_, k) => k in get(),
${
  keys === undefined
    ? `  ownKeys: () => Reflect.ownKeys(get()),
  getOwnPropertyDescriptor: (_, k) => ({...Reflect.getOwnPropertyDescriptor(get(), k), configurable: true}),`
    : `  ownKeys: () => (m === undefined ? [...names] : Reflect.ownKeys(m)),
  getOwnPropertyDescriptor: (_, k) => (m === undefined ? (names.includes(k) ? {get: () => get()[k], enumerable: true, configurable: true} : undefined) : {...Reflect.getOwnPropertyDescriptor(m, k), configurable: true}),`
}
})
`,
        }
      })
    },
  }
}

/**
 * long (protobufjs's 64-bit integers) compiles a small WebAssembly module when
 * it loads, for its multiply, divide and remainder, and falls back to its own
 * JavaScript arithmetic where WebAssembly is missing, with the same results.
 * In a direct run's bundle it sees no WebAssembly: a one-shot call divides a
 * handful of 64-bit values at most (toString), and compiling the module, the
 * first WebAssembly of the process, cost ~1 ms of every call's start.
 */
const longWithoutWasm = {
  name: 'rpcdiag-long-without-wasm',
  setup(b) {
    b.onLoad({filter: /[/\\]node_modules[/\\]long[/\\]umd[/\\]index\.js$/}, (a) => ({
      contents: `var WebAssembly = undefined;\n${readFileSync(a.path, 'utf8')}`,
      loader: 'js',
    }))
  },
}

/**
 * A direct run's bundle is read as a string on every run (bin/code-cache.js):
 * ASCII only, so V8 holds it one byte a character (one non-ASCII character
 * makes all of it two bytes a character: 640 kB instead of 320, ~80 more
 * pages touched, ~1 ms here). esbuild escapes non-ASCII characters in strings
 * but leaves them in regular expression literals: here, those of the
 * dependencies that have them, written as escapes that match the same
 * character. The build fails on any other (asciiOnly).
 */
const REGEXP_NON_ASCII = {
  // strip(): /[\x1b\x9b][[()#;?]*.../ with U+009B (CSI) as the character itself
  'ansis/index.js': ['\u009b', '\\x9b'],
}
const asciiRegExps = {
  name: 'rpcdiag-ascii-regexps',
  setup(b) {
    const files = Object.keys(REGEXP_NON_ASCII)
    b.onLoad({filter: /[/\\]node_modules[/\\]/}, (a) => {
      const f = files.find((x) => a.path.endsWith(`/node_modules/${x}`))
      if (f === undefined) return undefined
      const [char, escape] = REGEXP_NON_ASCII[f]
      const text = readFileSync(a.path, 'utf8')
      if (!text.includes(char)) throw new Error(`build: ${f} no longer has ${JSON.stringify(char)} to escape: update REGEXP_NON_ASCII`)
      return {contents: text.replaceAll(char, escape), loader: 'js'}
    })
  },
}

/**
 * keepNames for classes only, in a direct run's bundle. esbuild's keepNames
 * gives every function and class its name back after minifying (a call of
 * its __name helper, Object.defineProperty(f, 'name', ...), per function:
 * ~1,000 at load, more as modules run), and V8 turns each function so renamed
 * into a dictionary-mode object: ~420 kB of a call's ~2.5 MB young-generation
 * allocation (~60 page faults; the CPU saved was within this machine's noise:
 * -5 ms in one paired series, +4 in another). What a direct run reads of
 * names is class names: errorLine's constructor.name of oclif's parse errors,
 * RpcDiagError's new.target.name (test/cli/direct-run.test.ts compares those
 * runs with oclif's); it prints no stack trace (DEBUG sends a run to oclif). So the
 * classes, which esbuild names in a static block (static{__name(this, "X")}),
 * keep the helper; every other call of it returns the function as it is.
 */
function classNamesOnly(file, text) {
  const helper = /var ([\w$]+)\s*=\s*\(([\w$]+),\s*([\w$]+)\)\s*=>\s*([\w$]+)\(\2,\s*"name",\s*\{\s*value(?::\s*\3)?,\s*configurable:\s*!0\s*\}\)/g
  const found = [...text.matchAll(helper)]
  if (found.length !== 1) throw new Error(`build: ${file}: expected esbuild's one __name helper, found ${found.length}`)
  const [definition, name, target, value, defineProperty] = found[0]
  const named = '__rpcdiagClassName'
  if (text.includes(named)) throw new Error(`build: ${file} already uses ${named}`)
  const inStatic = new RegExp(`static\\s*\\{\\s*${name.replace(/\$/g, '\\$')}\\(this,`, 'g')
  const classes = text.match(inStatic)?.length ?? 0
  if (classes === 0) throw new Error(`build: ${file}: no class named through ${name}: has esbuild changed how keepNames names classes?`)
  return text
    .replace(definition, `var ${name} = (${target}) => ${target}, ${named} = (${target}, ${value}) => ${defineProperty}(${target}, "name", {value: ${value}, configurable: !0})`)
    .replace(inStatic, `static{${named}(this,`)
}

/** Fails the build where a direct run's bundle has a non-ASCII character (see REGEXP_NON_ASCII). */
function asciiOnly(file, text) {
  const at = text.search(/[^\x00-\x7f]/)
  if (at >= 0) throw new Error(`build: ${file} has a non-ASCII character at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 60), at + 20))} (escape it: REGEXP_NON_ASCII)`)
}

const common = {
  absWorkingDir: ROOT,
  outdir: STAGE,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outExtension: {'.js': '.cjs'},
  // Whitespace and syntax only: identifiers stay, so DEBUG=* stack traces
  // still name the functions; keepNames keeps every class's .name as written
  // (RpcDiagError subclasses report new.target.name) where the bundle renames
  // a clash between two modules. RPCDIAG_READABLE_BUILD=1 keeps the lines, so a
  // CPU profile (node --cpu-prof bin/run.js ...) points at a line per function.
  minifyWhitespace: !process.env.RPCDIAG_READABLE_BUILD,
  minifySyntax: true,
  keepNames: true,
  legalComments: 'none',
  external: ['cap', 'koffi', 'systeminformation', 'typescript', 'ts-node', 'tsx', 'tsx/*', 'esbuild'],
  metafile: true,
  logLevel: 'warning',
}

try {
  await stage()
} catch (e) {
  rmSync(STAGE, {recursive: true, force: true})
  throw e
}
// The swap: two renames. The old dist/ goes whole, so nothing tsc once wrote
// there file by file is left to import. Another build swapping at the same
// moment can move dist/ away or back in between: then try again.
const OLD = `${STAGE}-old`
if (outAt > 0) {
  // Elsewhere (--out): a copy, which may cross file systems; nothing runs from there yet.
  rmSync(DIST, {recursive: true, force: true})
  cpSync(STAGE, DIST, {recursive: true})
  rmSync(STAGE, {recursive: true, force: true})
} else for (let attempt = 1; ; attempt++) {
  try {
    if (existsSync(DIST)) renameSync(DIST, `${OLD}-${attempt}`)
    renameSync(STAGE, DIST)
    break
  } catch (e) {
    if (attempt >= 10 || !['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes(e.code)) throw e
  }
}
for (let attempt = 1; attempt <= 10; attempt++) rmSync(`${OLD}-${attempt}`, {recursive: true, force: true})
// Then the manifest, to the root (a rename too): a run in between reads a
// manifest whose commands all still exist, or none and imports them itself.
renameSync(`${DIST}/oclif.manifest.json`, `${outAt > 0 ? dirname(DIST) : ROOT}/oclif.manifest.json`)

async function stage() {
  const [cli, cmds, direct, page] = await Promise.all([
    build({
      ...common,
      entryPoints: {oclif: 'rpcdiag:oclif'},
      define: {'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"1"'},
      plugins: [
        {
          name: 'rpcdiag-oclif-entry',
          setup(b) {
            b.onResolve({filter: /^rpcdiag:oclif$/}, () => ({path: 'oclif', namespace: 'rpcdiag'}))
            b.onLoad({filter: /.*/, namespace: 'rpcdiag'}, () => ({contents: `export {${coreExports.join(', ')}} from '@oclif/core'`, resolveDir: ROOT, loader: 'js'}))
          },
        },
        lazyModules(LAZY),
      ],
    }),
    build({
      ...common,
      entryPoints: {
        ...Object.fromEntries(commands.map((id) => [`commands/${id}`, `commands/${id}.ts`])),
        [`commands/${WORKER}`]: `src/sniff/processes/${WORKER}.ts`,
        // One folder down like the commands, so its '../oclif.cjs' is the same oclif.
        [`help/${HELP}`]: 'src/cli/help.ts',
        'hooks/not-found': 'src/cli/not-found.ts',
        'hooks/completion': 'src/cli/completion-hook.ts',
      },
      // The ESM sources' import.meta, for a CommonJS file: its own URL (see import-meta.js).
      define: {'import.meta.url': 'import_meta_url', 'import.meta.resolve': 'import_meta_resolve'},
      inject: [`${ROOT}/scripts/import-meta.js`],
      plugins: [
        {
          name: 'rpcdiag-shared-oclif',
          setup(b) {
            // One oclif for all: node's require() cache holds dist/oclif.cjs once.
            b.onResolve({filter: /^@oclif\/core$/}, () => ({path: '../oclif.cjs', external: true}))
          },
        },
      ],
    }),
    build({
      ...common,
      entryPoints: {'direct/call': 'src/call-command/direct.ts', 'direct/sockets': 'src/sockets-command/direct.ts', 'direct/sniff': 'src/sniff-command/direct.ts'},
      // Identifiers too (keepNames, then classNamesOnly below: classes keep
      // their .name): a third less source to read, and a direct run never prints a
      // stack trace (DEBUG sends the run through oclif).
      minifyIdentifiers: !process.env.RPCDIAG_READABLE_BUILD,
      // import.meta.url is that of the command's own bundle in dist/commands/
      // (scripts/direct-import-meta.js), worked out when first read: not
      // scripts/import-meta.js, whose node:url would cost every run ~1.5 ms.
      // Any other use of import.meta fails this build.
      define: {'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"1"', 'import.meta.url': 'rpcdiag_direct_import_meta.url'},
      inject: [`${ROOT}/scripts/direct-import-meta.js`],
      logOverride: {'empty-import-meta': 'error'},
      plugins: [
        {
          name: 'rpcdiag-direct-oclif',
          setup(b) {
            b.onResolve({filter: /^@oclif\/core$/}, () => ({path: `${ROOT}/scripts/direct-oclif.mjs`}))
          },
        },
        lazyModules([...LAZY, ...DIRECT_LAZY_NAMES], DIRECT_LAZY),
        longWithoutWasm,
        asciiRegExps,
      ],
    }),
    build({...reportPageOptions(), outfile: `${STAGE}/report-page.js`, metafile: true}),
  ])

  const outputs = Object.entries({...cli.metafile.outputs, ...cmds.metafile.outputs, ...direct.metafile.outputs, ...page.metafile.outputs}).map(([f, o]) => [relative(STAGE, `${ROOT}/${f}`), o])

  // The worker is started by URL relative to the file that holds the starting
  // code: every such file must be in dist/commands/ beside it, or be a direct
  // run's bundle, whose import.meta.url is its command's file there
  // (scripts/direct-import-meta.js).
  const besideCommands = (f) => f.startsWith('commands/') || (f.startsWith('direct/') && outputs.some(([c]) => c === `commands/${f.slice('direct/'.length)}`))
  const starters = outputs.filter(([, o]) => `src/sniff/processes/attribution.ts` in o.inputs).map(([f]) => f)
  if (starters.length === 0 || !starters.every(besideCommands)) {
    throw new Error(`build: ${WORKER} is started from ${starters.join(', ') || 'nowhere'}, expected dist/commands/`)
  }

  // The report page is read by URL relative to the file holding page-assets.ts: from dist/commands/, one folder up.
  const readers = outputs.filter(([, o]) => 'src/report/page-assets.ts' in o.inputs).map(([f]) => f)
  if (!readers.every(besideCommands)) throw new Error(`build: the report page is read from ${readers.join(', ')}, expected dist/commands/`)

  // The direct runs' bundles (bin/run.js): wrapped, stamped with a build id,
  // and their V8 code cache written beside them by a node of their own after
  // training runs (bin/code-cache.js): a call answered (by a loopback server
  // that echoes the request: a makeOrderRequest read as a makeOrderResponse is
  // ret_code 100, res_info "apple"), then one refused (a port just closed).
  const training = await trainingServer()
  try {
    const call = (addr) => ['Order.makeOrder', '--proto', `${ROOT}/examples/order.proto`, '--json', '{"price":100,"goods":"apple"}', '--addr', addr, '--timeout', '2s']
    // sockets: the table and --json of the training server's port (a few rows, whatever else the machine holds).
    const port = training.echo.split(':')[1]
    const sockets = [['--port', port], ['--port', port, '--json', '-e']]
    // sniff: a capture of 25 rocket calls read as lines, as --json, and as -Y-filtered fields.
    const pcap = `${ROOT}/test/fixtures/pcap/rocket_25calls.pcapng`
    const sniff = [['--read', pcap], ['-r', pcap, '--json'], ['-r', pcap, '-Y', 'latency > 1ms || err_code != 0', '-T', 'fields', '-e', 'time', '-e', 'method', '-e', 'latency']]
    for (const [f, runs] of [
      ['direct/call.cjs', [call(training.echo), call(training.closed)]],
      ['direct/sockets.cjs', sockets],
      ['direct/sniff.cjs', sniff],
    ]) {
      const file = `${STAGE}/${f}`
      const text = classNamesOnly(f, readFileSync(file, 'utf8'))
      // (A readable build keeps comments, some of them not ASCII: it is for profiles, not to ship.)
      if (!process.env.RPCDIAG_READABLE_BUILD) asciiOnly(f, text)
      writeFileSync(file, `${Module.wrap(text)}\n// rpcdiag-build ${createHash('sha256').update(text).digest('hex').slice(0, 16)}\n`)
      const args = [file, `dist/${f}`, 'rpcdiag', runs]
      await new Promise((resolve) => execFile(process.execPath, ['-e', `require(${JSON.stringify(`${ROOT}/bin/code-cache.js`)}).writeCache(...${JSON.stringify(args)})`], {timeout: 30_000}, resolve))
      if (!existsSync(`${file}.v8cache`)) throw new Error(`build: no code cache was written for ${f}`)
    }
  } finally {
    training.close()
  }

  // The manifest, made by the bundled oclif itself (what `oclif manifest` does,
  // without that package): the root plugin loaded with any manifest ignored,
  // which loads each command once and records its id, flags, args, help text
  // and file (staged here, so each file's path is then moved to dist/).
  const pjson = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8'))
  const discovery = typeof pjson.oclif.commands === 'string' ? {strategy: 'pattern'} : pjson.oclif.commands
  const staged = {...pjson, oclif: {...pjson.oclif, commands: {...discovery, target: `./${relative(ROOT, STAGE)}/commands`}}}
  const oclif = require(`${STAGE}/oclif.cjs`)
  oclif.settings.enableAutoTranspile = false
  const plugin = new oclif.Plugin({root: ROOT, pjson: staged, isRoot: true, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
  await plugin.load()
  const ids = Object.keys(plugin.manifest.commands).sort()
  if (ids.join() !== [...commands].sort().join()) throw new Error(`build: the manifest has ${ids.join(', ')}; commands/ has ${commands.join(', ')}`)
  for (const c of Object.values(plugin.manifest.commands)) c.relativePath = ['dist', ...relative(STAGE, `${ROOT}/${c.relativePath.join('/')}`).split('/')]
  writeFileSync(`${STAGE}/oclif.manifest.json`, JSON.stringify(plugin.manifest))

  const sizes = outputs.map(([f, o]) => `${f} ${(o.bytes / 1024).toFixed(0)} kB`)
  console.log(`dist/: ${sizes.join(', ')}; oclif.manifest.json of ${ids.length} commands; ${(performance.now() - started).toFixed(0)} ms`)
}

/**
 * For the training calls: a loopback server that echoes what it reads, and a
 * port nothing listens on (one just given to a listener closed again). Where
 * no loopback listener can be made, port 1 for both: the calls are refused.
 */
async function trainingServer() {
  const listen = (onConnection) =>
    new Promise((resolve, reject) => {
      const server = createServer(onConnection).once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve(server))
    })
  try {
    const echo = await listen((s) => s.on('data', (d) => s.write(d)).on('error', () => {}))
    const gone = await listen(() => {})
    const closed = gone.address().port
    await new Promise((resolve) => gone.close(resolve))
    return {echo: `127.0.0.1:${echo.address().port}`, closed: `127.0.0.1:${closed}`, close: () => echo.close()}
  } catch {
    return {echo: '127.0.0.1:1', closed: '127.0.0.1:1', close: () => {}}
  }
}
