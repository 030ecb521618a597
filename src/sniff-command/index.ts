// `rpcdiag sniff` wired from its parsed flags.
export * from './options.js'
export * from './run-sniff-command.js'
