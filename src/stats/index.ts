export * from './latency.js'
export * from './log-histogram.js'
