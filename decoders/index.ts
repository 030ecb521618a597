// decoders/: pure functions over bytes, no I/O, no imports from the rest of the project.
// Each protocol is its own namespace; import from a subfolder's index for the plain names.
export * as tinypb from './tinypb/index.js'
export * as string from './string/index.js'
export * as protobufRaw from './protobuf-raw/index.js'
export * as packet from './packet/index.js'
export * as pcap from './pcap/index.js'
export * as bpf from './bpf/index.js'
