// TCP reassembly: captured segments in, per-connection per-direction byte
// streams out, in sequence order, with holes reported as gaps.
export * from './half-stream.js'
export * from './flow.js'
export * from './limits.js'
export * from './reassembler.js'
export * from './sent-window.js'
