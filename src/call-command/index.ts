// `rpcdiag call` wired from its parsed argument and flags.
export * from './flags.js'
export * from './one-call.js'
export * from './prepare.js'
export * from './run-call-command.js'
