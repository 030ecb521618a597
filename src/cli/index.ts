// What every command shares: the base command, exit codes, shared flags, signals.
export * from './base-command.js'
export * from './color-flag.js'
export * from './duration-flag.js'
export * from './exit-codes.js'
export * from './port-flag.js'
export * from './proto-flags.js'
export * from './signals.js'
export * from './size-flag.js'
