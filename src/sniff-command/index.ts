// `rpcdiag sniff` wired from its parsed flags.
export * from './flags.js'
export * from './from-flags.js'
export * from './options.js'
export * from './run-sniff-command.js'
