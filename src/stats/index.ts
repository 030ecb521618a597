export * from './latency.js'
