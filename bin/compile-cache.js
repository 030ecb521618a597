// A V8 code cache for the bundles in dist/, which bin/run.js installs before it
// loads oclif: Node 22 has this built in (module.enableCompileCache()), Node 20
// does not. Compiling dist/oclif.cjs and a command's bundle is ~15 of the ~110
// ms of CPU a one-shot `rpcdiag call` spends above `node -e 0` (bench/startup.ts;
// v8-compile-cache measured no gain: it hashes every module it loads and makes
// its cache at compile time, before the lazily compiled functions exist).
//
// The cache is made once per build and node version, at the exit of the run
// that found none, after the code ran (so it holds the functions that run
// compiled lazily), and read by every later run. It lives in a directory of
// this user only (checked before use) under the temporary directory, keyed by
// the bundle's path, size and mtime and node's version; V8 rejects data made
// by another V8 or for other source, and a rejected cache is compiled anew and
// rewritten. Any failure leaves the normal compile: the cache can only make a
// start faster. RPCDIAG_COMPILE_CACHE=0 turns it off.
const {createHash} = require('node:crypto')
const {closeSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync} = require('node:fs')
const Module = require('node:module')
const os = require('node:os')
const {dirname, join} = require('node:path')
const vm = require('node:vm')

/** The cache directory: created 0700, used only when this user owns it and no one else can write it. */
function cacheDir() {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1
  const dir = join(os.tmpdir(), `rpcdiag-compile-cache-${uid}`)
  try {
    mkdirSync(dir, {mode: 0o700})
  } catch (e) {
    if (e.code !== 'EEXIST') return undefined
  }
  try {
    const st = lstatSync(dir)
    if (!st.isDirectory() || (uid >= 0 && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined
  } catch {
    return undefined
  }
  return dir
}

/**
 * Compile files under `root` (dist/) through vm.Script with cached data.
 * Module.prototype._compile as Node 20 does it for CommonJS, but with the
 * script's cached data; every other file goes to Node's own.
 */
function installCompileCache(root) {
  if (process.env.RPCDIAG_COMPILE_CACHE === '0') return
  const dir = cacheDir()
  if (dir === undefined) return
  const prefix = root.endsWith('/') ? root : `${root}/`
  const toWrite = []
  const compile = Module.prototype._compile
  Module.prototype._compile = function (content, filename) {
    // Code with import() is left to node: on node 20, functions restored from a code
    // cache lose the script's import() callback ("A dynamic import callback was not
    // specified"). dist/oclif.cjs has import() (ESM plugins); the build turns the
    // commands' import() of packages into require() (scripts/build.mjs).
    if (!filename.startsWith(prefix) || !filename.endsWith('.cjs') || content.includes('import(')) return compile.call(this, content, filename)
    let key
    let cached
    try {
      const st = statSync(filename)
      key = join(dir, createHash('sha256').update(`${filename}\0${st.size}\0${st.mtimeMs}\0${process.version}\0${process.arch}`).digest('hex').slice(0, 32))
      cached = readFileSync(key)
    } catch {
      cached = undefined
    }
    const script = new vm.Script(Module.wrap(content), {
      filename,
      cachedData: cached,
    })
    if (key !== undefined && (cached === undefined || script.cachedDataRejected)) toWrite.push({key, script})
    const wrapper = script.runInThisContext({displayErrors: true})
    const require = Module.createRequire(filename)
    return wrapper.call(this.exports, this.exports, require, this, filename, dirname(filename))
  }
  process.once('exit', () => {
    for (const {key, script} of toWrite) write(key, script.createCachedData())
  })
}

/** Write beside, then rename: a run that reads the cache meanwhile sees the old file or the new one. */
function write(path, data) {
  const tmp = `${path}.${process.pid}`
  try {
    const fd = openSync(tmp, 'wx', 0o600)
    try {
      writeSync(fd, data)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch {
    // a full disk or a read-only tmp: the next run compiles as this one did
  }
}

module.exports = {installCompileCache}
