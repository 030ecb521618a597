export * from './msg-id.js'
