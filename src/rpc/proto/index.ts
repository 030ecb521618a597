/**
 * The one .proto loader of rpcdiag, shared by call, serve, methods and sniff.
 *
 *   import {loadSchema, protoSourcesFrom} from '../rpc/proto/index.js'
 *
 *   // --proto FILE (repeatable) and -I/--import-path DIR (repeatable), with
 *   // RPCDIAG_PROTO / RPCDIAG_IMPORT_PATH (':'-separated) as defaults.
 *   const loaded = loadSchema(protoSourcesFrom({proto: flags.proto, importPath: flags['import-path']}))
 *   if (!loaded.ok) throw loaded.error            // a UsageError: exit 2
 *   const schema = loaded.value
 *
 *   // Decode a frame's pb_data by its wire method name and role (what sniff needs):
 *   const d = schema.decodePayload(frame.methodName, 'response', frame.pbData)
 *   if (d.ok) d.value.json                         // {ret_code: 0, res_info: "", order_id: "20230514"}
 *   else d.error.code                              // UNKNOWN_METHOD | AMBIGUOUS_METHOD | PB_DECODE
 *
 *   // Method lookup by `Service.method`, `pkg.Service.method` or `pkg.Service/method`:
 *   const m = schema.findMethod('Order.makeOrder') // Result<MethodInfo, UsageError>, with "did you mean"
 *   schema.encodeJson(m.value, 'request', {price: 100, goods: 'apple'})   // strict: FIELD_TYPE, UNKNOWN_FIELD
 *   schema.decode(m.value, 'response', bytes)      // JSON with default values included
 *
 * Everything returns Result values; nothing throws on bad input or bad bytes.
 * This module pulls in protobufjs: import it lazily from commands that may not need it.
 */
export {closest, editDistance} from './closest.js'
export {describeSymbol, type FieldDescription, type SymbolDescription} from './describe.js'
export {type EncodedMessage, jsonToMessage, type JsonToMessageOptions} from './json-to-message.js'
export {loadSchema} from './load.js'
export {ENV_IMPORT_PATH, ENV_PROTO, type ProtoSources, protoSourcesFrom} from './sources.js'
export {type DecodedMessage, decodeMessage, type UnknownField} from './message-to-json.js'
export {type MethodInfo, ProtoSchema, type Role, type ServiceInfo} from './schema.js'
