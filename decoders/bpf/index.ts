export * from './program.js'
