// The hand-written Lua of the dissector, in the order the file needs it:
// decoder, analysis (first pass), fields and display, entry points.
export {LUA_ANALYSIS, LUA_PEER_CHECKS} from './analysis.js'
export {LUA_DECODE} from './decode.js'
export {LUA_REGISTER} from './register.js'
export {LUA_FIELDS, LUA_RENDER} from './tree.js'
