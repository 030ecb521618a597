// Pairing requests with replies by msg_id, per connection: latency, unanswered
// calls and their likely causes, duplicates, orphans, and the running summary.
export * from './answered-ring.js'
export * from './causes.js'
export * from './conn.js'
export * from './stats.js'
export * from './tracker.js'
