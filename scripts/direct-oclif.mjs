// What a direct run's bundle (dist/direct/*.cjs, see src/cli/direct-run.ts)
// takes for '@oclif/core': oclif's flag and argument builders, its parser and
// its errors, from their own modules, without the rest of oclif (Config,
// plugins, help, ux). A source in that bundle importing anything else from
// '@oclif/core' (Command, ux, ...) fails the build here ("No matching export").
export * as Args from '@oclif/core/args'
export * as Errors from '@oclif/core/errors'
export * as Flags from '@oclif/core/flags'
export * as Parser from '@oclif/core/parser'
