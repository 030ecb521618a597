export * from './groups.js'
export * from './report.js'
export * from './summary.js'
export * from './table.js'
