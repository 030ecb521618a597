export * from './tinypb/index.js'
