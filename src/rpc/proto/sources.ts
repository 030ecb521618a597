import {delimiter} from 'node:path'

/**
 * Where schemas come from: the --proto files and the -I/--import-path
 * directories. Kept apart from the loader so a command can tell whether it
 * needs a schema at all without loading protobufjs.
 */
export interface ProtoSources {
  readonly protoFiles: readonly string[]
  readonly importPaths: readonly string[]
}

/** Environment defaults, PATH-style lists (':' separated on Linux). */
export const ENV_PROTO = 'RPCDIAG_PROTO'
export const ENV_IMPORT_PATH = 'RPCDIAG_IMPORT_PATH'

function envList(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(delimiter).filter((s) => s !== '')
}

/**
 * Combine flags with the environment: --proto replaces RPCDIAG_PROTO (a command
 * line names exactly the files it wants), while -I directories come first and
 * RPCDIAG_IMPORT_PATH directories are searched after them, like CPATH.
 */
export function protoSourcesFrom(
  flags: {proto?: readonly string[]; importPath?: readonly string[]},
  env: NodeJS.ProcessEnv = process.env,
): ProtoSources {
  const protoFiles = flags.proto !== undefined && flags.proto.length > 0 ? [...flags.proto] : envList(env[ENV_PROTO])
  return {protoFiles, importPaths: [...(flags.importPath ?? []), ...envList(env[ENV_IMPORT_PATH])]}
}
