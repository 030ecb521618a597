export * from './hexdump.js'
export * from './tinypb/index.js'
