export * from './latency.js'
export * from './log-histogram.js'
export * from './reservoir.js'
