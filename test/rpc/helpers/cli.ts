// rpcdiag as a real process, straight from the TypeScript sources:
//   node --import tsx test/rpc/helpers/cli.ts call Order.makeOrder ...
// The same entry point as bin/dev.js, which this only loads.
await import('../../../bin/dev.js')
