/**
 * The sniff analysis: TCP segments in; connections, frames, transactions,
 * anomalies and a summary out. Capture sources live in src/capture; output in
 * src/render/sniff.
 *
 *   segments -> reassembly/ (per direction, in order) -> protocol-detect (per connection)
 *            -> TinyPbStreamDecoder over a TcpBuffer (the client's own decoder)
 *            -> transactions/ (pairing by msg_id, latency, flags) -> SniffEvent
 *
 * processes/ names the process behind each end of a live flow.
 */
export * from './events.js'
export * from './session.js'
export * from './run-capture.js'
export * from './run-sniff.js'
export * from './tee-output.js'
export * from './payload-decoder.js'
export * from './protocol-detect.js'
export * from './transactions/index.js'
export * from './processes/index.js'
export * from './fail-on.js'
export * from './fields/index.js'
export * from './display-filter/index.js'
export * from './findings/index.js'
