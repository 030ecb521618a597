import {existsSync, statSync} from 'node:fs'
import {dirname, isAbsolute, join, resolve} from 'node:path'

import protobuf from 'protobufjs'

import {err, ok, type Result, UsageError} from '../../errors.js'
import {ProtoSchema} from './schema.js'
import {ENV_PROTO, type ProtoSources} from './sources.js'

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

/**
 * Load .proto files the way protoc and grpcurl do: a file named on the command
 * line is taken as given (relative to the working directory) or else found
 * under an import path; an `import` is searched in the import paths, then next
 * to the file that imports it, then next to the files named on the command line.
 * google/protobuf/*.proto come bundled with protobufjs. Field names keep their
 * .proto spelling (ret_code, not retCode): that is what TinyPB users read in
 * their C++ code.
 */
export function loadSchema(sources: ProtoSources, opts: {cwd?: string} = {}): Result<ProtoSchema, UsageError> {
  const cwd = opts.cwd ?? process.cwd()
  if (sources.protoFiles.length === 0) {
    return err(new UsageError('NO_PROTO', `no .proto file given: use --proto FILE (or set ${ENV_PROTO})`))
  }
  const importDirs = sources.importPaths.map((d) => resolve(cwd, d))
  for (const d of sources.importPaths) {
    const abs = resolve(cwd, d)
    if (!existsSync(abs) || !statSync(abs).isDirectory()) {
      return err(new UsageError('IMPORT_PATH_NOT_FOUND', `import path "${d}" is not a directory`))
    }
  }

  const files: string[] = []
  for (const f of sources.protoFiles) {
    if (isDirectory(resolve(cwd, f))) {
      return err(new UsageError('PROTO_IS_DIRECTORY', `${f} is a directory, not a .proto file (-I ${f} searches it for imports; --proto names the files)`))
    }
    const found = [resolve(cwd, f), ...(isAbsolute(f) ? [] : importDirs.map((d) => join(d, f)))].find(isFile)
    if (found === undefined) {
      const where = ['the working directory', ...sources.importPaths].join(', ')
      return err(new UsageError('PROTO_NOT_FOUND', `cannot find ${f} (looked in ${where})`))
    }
    if (!files.includes(found)) files.push(found)
  }
  const topDirs = [...new Set(files.map((f) => dirname(f)))]

  const root = new protobuf.Root()
  const missing: string[] = []
  root.resolvePath = (origin: string, target: string): string => {
    if (isAbsolute(target)) return target
    const originDir = origin === '' ? cwd : dirname(origin)
    const dirs = [...importDirs, originDir, ...topDirs]
    for (const d of dirs) {
      const p = join(d, target)
      if (isFile(p)) return p
    }
    missing.push(`import "${target}" of ${origin} (looked in ${[...new Set(dirs)].join(', ')})`)
    return join(originDir, target)
  }
  try {
    root.loadSync(files, {keepCase: true})
    root.resolveAll()
  } catch (e) {
    const why = missing.length > 0 ? `cannot find ${missing[0]}` : (e as Error).message
    return err(new UsageError('PROTO_LOAD', `cannot load ${sources.protoFiles.join(', ')}: ${why}`, {cause: e}))
  }
  return ok(new ProtoSchema(root, files))
}
