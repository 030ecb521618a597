export * from './color.js'
export * from './histogram.js'
export * from './table.js'
export * from './sockets/index.js'
