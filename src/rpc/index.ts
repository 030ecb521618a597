// The RPC layer: channel, controller, dispatcher, embedded server, load test.
// The .proto loader lives in ./proto/index.js (it pulls in protobufjs; import it
// only where a schema is needed).
export * from './body-source.js'
export * from './call.js'
export * from './call-input.js'
export * from './call-prepare.js'
export * from './channel.js'
export * from './controller.js'
export * from './diagnose.js'
export * from './dispatcher.js'
export * from './load-test.js'
export * from './log-limits.js'
export * from './message-body.js'
export * from './msg-id.js'
export * from './reply-arrivals.js'
export * from './responses.js'
export * from './server.js'
export * from './server-limits.js'
