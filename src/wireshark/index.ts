/**
 * `rpcdiag wireshark`: a TinyPB dissector for Wireshark and tshark, one Lua
 * file generated from what rpcdiag knows (wire constants, err_code names,
 * peer limits, default ports, and the .proto's message types).
 *
 *     const spec = dissectorSpec({version, commandLine, ports, schema, importPaths})
 *     const lua = generateDissector(spec)           // the file's text
 *     installPlaces()                               // personal plugin and config folders
 *     tsharkProtoArgs(spec.searchPaths)             // -o uat:protobuf_search_paths:... for tshark
 */
export * from './generate.js'
export * from './install.js'
export * from './peer-templates.js'
export * from './spec.js'
export * from './write.js'
