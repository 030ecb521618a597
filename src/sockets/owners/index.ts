export * from './fd-walk.js'
export * from './parallel.js'
export * from './scan.js'
