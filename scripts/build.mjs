// Builds dist/, what ./bin/run.js runs: an esbuild bundle of the CLI plus the
// oclif manifest of its commands. Start-up is most of a one-shot command's
// time (issue 3: `rpcdiag call` <= 200 ms; issue 6: `sockets --json` <= 1.5x
// ss), and unbundled, node spends it finding, reading and compiling the ~700
// files @oclif/core pulls in from node_modules. bench/startup.ts measures it.
//
//   node scripts/build.mjs      (`npm run build` type-checks first, then runs this)
//
// Layout, all ESM:
//   dist/cli.js             @oclif/core and its dependencies, one file; re-exports
//                           what bin/run.js and the commands import from it
//   dist/commands/<id>.js   one self-contained file per command, with everything
//                           it imports except @oclif/core (taken from ../cli.js,
//                           so there is one oclif). Modules a command loads with
//                           `await import(...)` are in the same file and still
//                           run only when reached; a run reads two files instead
//                           of one per lazy import (esbuild --splitting made 70
//                           chunks, 30 of them read by a one-shot call: 40 ms).
//   dist/commands/table-worker.js
//                           the worker thread sniff (and demo) start with
//                           new URL('./table-worker.js',
//                           import.meta.url): beside the command file that runs
//                           that line; package.json oclif.commands.globPatterns
//                           keeps oclif from taking it for a command
//   dist/report-page.{js,css}
//                           the HTML report's script (uPlot included) and
//                           styles, inlined into each report by the commands
//                           that write one (src/report/page-assets.ts reads
//                           them one folder up from the command file; not in
//                           commands/, where oclif would take it for a command)
//   dist/oclif.manifest.json  what oclif would otherwise learn on every start
//                           by importing every command (bin/run.js hands it over)
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

import {existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {relative} from 'node:path'
import {createRequire} from 'node:module'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {build} from 'esbuild'

import {reportPageOptions} from './report-page.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '')
const DIST = `${ROOT}/dist`
// Same file system as dist/ (rename), ignored by git, unique per build.
const STAGE = `${ROOT}/node_modules/.cache/rpcdiag-dist-${process.pid}`
const WORKER = 'table-worker'

const started = performance.now()

const commands = readdirSync(`${ROOT}/commands`)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
// Every name @oclif/core exports, so any `import {X} from '@oclif/core'` in
// the commands finds X in dist/cli.js.
const coreExports = Object.keys(createRequire(import.meta.url)('@oclif/core')).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default')

const common = {
  absWorkingDir: ROOT,
  outdir: STAGE,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Whitespace and syntax only: identifiers stay, so DEBUG=* stack traces
  // still name the functions; keepNames keeps every class's .name as written
  // (RpcDiagError subclasses report new.target.name) where the bundle renames
  // a clash between two modules.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: 'none',
  external: ['cap', 'systeminformation', 'typescript', 'ts-node', 'tsx', 'tsx/*'],
  // oclif and its dependencies are CommonJS: their require() of node built-ins
  // and oclif's require.resolve (finding its plugins) need a real require.
  banner: {js: "import {createRequire as __rpcdiagCreateRequire} from 'node:module';const require=__rpcdiagCreateRequire(import.meta.url);"},
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
for (let attempt = 1; ; attempt++) {
  try {
    if (existsSync(DIST)) renameSync(DIST, `${OLD}-${attempt}`)
    renameSync(STAGE, DIST)
    break
  } catch (e) {
    if (attempt >= 10 || !['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes(e.code)) throw e
  }
}
for (let attempt = 1; attempt <= 10; attempt++) rmSync(`${OLD}-${attempt}`, {recursive: true, force: true})

async function stage() {
  const [cli, cmds, page] = await Promise.all([
    build({
      ...common,
      entryPoints: {cli: 'rpcdiag:cli'},
      define: {'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"1"'},
      plugins: [
        {
          name: 'rpcdiag-cli-entry',
          setup(b) {
            b.onResolve({filter: /^rpcdiag:cli$/}, () => ({path: 'cli', namespace: 'rpcdiag'}))
            b.onLoad({filter: /.*/, namespace: 'rpcdiag'}, () => ({contents: `export {${coreExports.join(', ')}} from '@oclif/core'`, resolveDir: ROOT, loader: 'js'}))
          },
        },
      ],
    }),
    build({
      ...common,
      entryPoints: {
        ...Object.fromEntries(commands.map((id) => [`commands/${id}`, `commands/${id}.ts`])),
        [`commands/${WORKER}`]: `src/sniff/processes/${WORKER}.ts`,
        // One folder down like the commands, so its '../cli.js' is the same oclif.
        'help/rpcdiag-help': 'src/cli/help.ts',
      },
      plugins: [
        {
          name: 'rpcdiag-shared-oclif',
          setup(b) {
            b.onResolve({filter: /^@oclif\/core$/}, () => ({path: '../cli.js', external: true}))
          },
        },
      ],
    }),
    build({...reportPageOptions(), outfile: `${STAGE}/report-page.js`, metafile: true}),
  ])

  const outputs = Object.entries({...cli.metafile.outputs, ...cmds.metafile.outputs, ...page.metafile.outputs}).map(([f, o]) => [relative(STAGE, `${ROOT}/${f}`), o])

  // The worker is started by URL relative to the file that holds the starting
  // code: every such file must be in dist/commands/ beside it.
  const starters = outputs.filter(([, o]) => `src/sniff/processes/attribution.ts` in o.inputs).map(([f]) => f)
  if (starters.length === 0 || starters.some((f) => !f.startsWith('commands/'))) {
    throw new Error(`build: ${WORKER} is started from ${starters.join(', ') || 'nowhere'}, expected dist/commands/`)
  }

  // The report page is read by URL relative to the file holding page-assets.ts: from dist/commands/, one folder up.
  const readers = outputs.filter(([, o]) => 'src/report/page-assets.ts' in o.inputs).map(([f]) => f)
  if (readers.some((f) => !f.startsWith('commands/'))) throw new Error(`build: the report page is read from ${readers.join(', ')}, expected dist/commands/`)

  // The manifest, made by the bundled oclif itself (what `oclif manifest` does,
  // without that package): the root plugin loaded with any manifest ignored,
  // which imports each command once and records its id, flags, args, help text
  // and file (staged here, so each file's path is then moved to dist/).
  const pjson = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8'))
  const discovery = typeof pjson.oclif.commands === 'string' ? {strategy: 'pattern'} : pjson.oclif.commands
  const staged = {...pjson, oclif: {...pjson.oclif, commands: {...discovery, target: `./${relative(ROOT, STAGE)}/commands`}}}
  const oclif = await import(pathToFileURL(`${STAGE}/cli.js`).href)
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
