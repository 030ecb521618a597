// The processes behind each end of a live flow, from this machine's socket table.
export * from './attribution.js'
