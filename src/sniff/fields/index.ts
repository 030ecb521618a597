// Calls as rows of named fields: what -Y filters on and -T fields prints.
export * from './call-view.js'
export * from './fields.js'
