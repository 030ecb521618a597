import {Flags} from '@oclif/core'

import {type Result, UsageError, err, ok} from '../errors.js'
import type {ProtoSchema} from '../rpc/proto/schema.js'
import {protoSourcesFrom} from '../rpc/proto/sources.js'

/**
 * --proto and -I/--import-path, the way protoc and grpcurl take them, for every
 * command that reads .proto files. Non-greedy: `--proto a.proto Order.makeOrder`
 * takes one file, so flags and arguments go in any order.
 */
export const protoFlags = {
  proto: Flags.string({description: '.proto file (repeatable); default $RPCDIAG_PROTO', multiple: true, multipleNonGreedy: true}),
  'import-path': Flags.string({
    char: 'I',
    description: 'directory to search for .proto imports (repeatable); also $RPCDIAG_IMPORT_PATH',
    multiple: true,
    multipleNonGreedy: true,
  }),
}

export interface ProtoFlagValues {
  readonly proto?: readonly string[]
  readonly 'import-path'?: readonly string[]
}

/**
 * The schema the flags (or RPCDIAG_PROTO) name, or undefined when they name no
 * .proto file. protobufjs is loaded only when there is a file to read.
 */
export async function schemaFromFlags(flags: ProtoFlagValues, opts: {required?: boolean} = {}): Promise<Result<ProtoSchema | undefined, UsageError>> {
  const sources = protoSourcesFrom({proto: flags.proto, importPath: flags['import-path']})
  if (sources.protoFiles.length === 0 && !opts.required) {
    if ((flags['import-path'] ?? []).length > 0) return err(new UsageError('NO_PROTO', '-I/--import-path needs --proto FILE: the .proto to read'))
    return ok(undefined)
  }
  const {loadSchema} = await import('../rpc/proto/load.js')
  return loadSchema(sources)
}
