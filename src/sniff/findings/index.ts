// Findings (warnings, malformed frames, gaps) rolled up by kind and server.
export * from './rollup.js'
