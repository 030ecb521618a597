// Waits for stdout to drain, however long its reader takes, as a Unix tool
// blocked on write does. Both bin/run.js and bin/dev.js end with it instead of
// oclif's flush(), which gives up on a slow reader after 10 s with a stack
// trace ("CLIError: timed out": `rpcdiag sockets --json | less`, left unread).
// test/cli/slow-reader.test.ts holds both to it.
module.exports = function drained() {
  if (!process.stdout.writableNeedDrain) return undefined
  return new Promise((resolve) => {
    process.stdout.once('drain', resolve)
    process.stdout.once('close', resolve)
    process.stdout.once('error', resolve)
  })
}
