// Injected by scripts/build.mjs into the direct runs' bundles (dist/direct/,
// see src/cli/direct-run.ts) for the sources that use import.meta.url to find
// files beside their own (sniff's socket-table worker, the HTML report's
// page, the cap addon): the URL of the command's bundle in dist/commands/,
// the same sources built beside those files, so each finds them where it
// would under oclif. Worked out on first use only (node:url is not loaded
// otherwise: ~1.5 ms of every run).
export const rpcdiag_direct_import_meta = {
  get url() {
    return require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', 'commands', require('node:path').basename(__filename))).href
  },
}
