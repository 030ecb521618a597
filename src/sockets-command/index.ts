export * from './flags.js'
export * from './run-sockets-command.js'
