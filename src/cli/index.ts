export * from './base-command.js'
export * from './exit-codes.js'
