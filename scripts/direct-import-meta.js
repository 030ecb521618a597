// Injected by scripts/build.mjs into the direct runs' bundles (dist/direct/,
// see src/cli/direct-run.ts) for the sources that use import.meta.url to find
// files beside their own (sniff's socket-table worker, the HTML report's
// page, the cap addon): the URL of the command's bundle in dist/commands/,
// the same sources built beside those files, so each finds them where it
// would under oclif. Worked out on first use, once (node:url is not loaded
// otherwise: ~1.5 ms of every run).
let url
export const rpcdiag_direct_import_meta = {
  get url() {
    if (url === undefined) {
      const {basename, join} = require('node:path')
      url = require('node:url').pathToFileURL(join(__dirname, '..', 'commands', basename(__filename))).href
    }
    return url
  },
}
