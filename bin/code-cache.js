// Loads a direct run's bundle (bin/run.js) with the V8 code cache the build
// wrote beside it (FILE.v8cache). Node 20 has no module.enableCompileCache
// (22 has), so this is the same idea by hand: node:vm compiles the file with
// the cache, and the module gets what require() would give it (module,
// exports, its own require, __filename, __dirname; import() through node's
// own loader). The build writes the bundle already in node's CommonJS wrapper,
// `(function (exports, require, module, __filename, __dirname) {...})`, so the
// 400 kB source is not copied once more to wrap it (a copy that young-
// generation GC then has to deal with); only this file loads it.
//
// The build writes the cache after training runs of the bundle (for call:
// calls to a server that echoes the request, and to a closed port: flags
// parsed, .proto loaded, body encoded, answer decoded and printed, connect
// refused, error printed; for sockets: a table and a --json of one port; for
// sniff: a 25-call capture read as lines, as --json and as -T fields), so
// it holds the compiled code of what a run does, not only of what loading
// runs: V8 neither parses the source nor compiles those
// functions again (bench/startup.ts).
//
// V8 checks a cache against its own version and flags (NODE_OPTIONS with V8
// flags: rejected, compiled from source as usual) but against the source's
// length only, so the build stamps each bundle with an id on its last line
// and writes the same id at the head of the cache: a bundle rebuilt without
// its cache, or a cache from another build, is not used. That head is padded
// to HEAD bytes, so V8's data starts 8-byte aligned in the Buffer read: V8
// copies unaligned data whole before reading it (~110 more pages touched,
// ~1.5 ms of a call here).
//
// A cached script keeps the name it was compiled under when the cache was
// made, in the build's staging folder: so it is compiled under one name
// wherever it runs, "rpcdiag/<path in the package>", which stack traces show.
const {readFileSync, writeFileSync} = require('node:fs')
const {dirname, join, relative} = require('node:path')
const vm = require('node:vm')

// node's CommonJS Module class, as `module` is one: the same class
// require('node:module') exports, without loading that module, whose source
// map and loader-hook parts a run does not use (~1 ms of every call).
const Module = module.constructor

const STAMP = /\n\/\/ rpcdiag-build ([0-9a-f]+)\n$/

/** The build id a stamped bundle ends with, or undefined. */
const stampOf = (source) => STAMP.exec(source.slice(-80))?.[1]

const ROOT = join(__dirname, '..')
/** The cache file's head: the build id, a newline, spaces up to this length. */
const HEAD = 32

function head(id) {
  return `${id}\n`.padEnd(HEAD, ' ')
}

/** `path` is the file's path in the package (dist/direct/call.cjs). */
function compile(path, source, cachedData) {
  return new vm.Script(source, {filename: `rpcdiag/${path}`, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER})
}

function run(file, script) {
  const m = new Module(file, module)
  m.filename = file
  m.paths = Module._nodeModulePaths(dirname(file))
  Module._cache[file] = m
  script.runInThisContext().call(m.exports, m.exports, Module.createRequire(file), m, file, dirname(file))
  m.loaded = true
  return m.exports
}

/**
 * The module's exports, compiled from the cache when it is this build's, else
 * from source, and what became of the cache: 'used', 'rejected' (by V8:
 * another node or other V8 flags) or 'none' (missing, or another build's).
 */
function requireCached(file) {
  let cache
  try {
    cache = readFileSync(`${file}.v8cache`)
  } catch {
    cache = Buffer.alloc(0)
  }
  const source = readFileSync(file, 'utf8')
  const id = stampOf(source)
  const fresh = id !== undefined && cache.toString('latin1', 0, HEAD) === head(id)
  const script = compile(relative(ROOT, file), source, fresh ? cache.subarray(HEAD) : undefined)
  return {exports: run(file, script), cache: !fresh ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'}
}

/**
 * For the build (scripts/build.mjs, in a node of its own): load the stamped
 * bundle `file` (staged; `path` is where it goes in the package), run it once
 * per argv of `trainings` (bin is the command's name), one after another, and
 * when the process exits, whichever way the last run ends it, write the code
 * V8 compiled for them to FILE.v8cache.
 */
async function writeCache(file, path, bin, trainings) {
  const source = readFileSync(file, 'utf8')
  const id = stampOf(source)
  if (id === undefined) throw new Error(`${file} has no rpcdiag-build stamp`)
  const script = compile(path, source)
  const exports = run(file, script)
  process.on('exit', () => writeFileSync(`${file}.v8cache`, Buffer.concat([Buffer.from(head(id), 'latin1'), script.createCachedData()])))
  for (const argv of trainings) await exports.run(argv, bin, {stdout: process.stdout, stderr: process.stderr})
}

module.exports = {requireCached, writeCache}
