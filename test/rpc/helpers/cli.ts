// rpcdiag as a real process, straight from the TypeScript sources:
//   node --import tsx test/rpc/helpers/cli.ts call Order.makeOrder ...
// The same entry point as bin/dev.js, which this only loads.
// A plain JS entry point: import it by a computed path so tsc does not ask for its types.
const entry = '../../../bin/dev.js'
await import(entry)
