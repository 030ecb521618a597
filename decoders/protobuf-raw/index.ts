export * from './types.js'
export {decodeRaw, PROTOC_MAX_DEPTH, PROTOC_GROUP_LIMIT} from './decode.js'
export {formatRaw, cEscape} from './format.js'
export {rawToJson, type RawJson, type RawJsonField} from './json.js'
