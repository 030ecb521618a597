#!/usr/bin/env node
// rpcdiag as users run it: the build in dist/ (`npm run build`; `npm ci` runs
// it), an esbuild bundle of oclif and the commands made by scripts/build.mjs.
// Start-up is most of a one-shot command's time: see bench/startup.ts.
import {readFileSync} from 'node:fs'

import {execute, Plugin, settings} from '../dist/cli.js'

// The build is what runs, even when NODE_ENV is test or development: oclif
// would otherwise look for the TypeScript sources of dist/commands and try to
// register tsx or ts-node for them.
settings.enableAutoTranspile = false

// Without a manifest oclif imports every command on each start to learn their
// flags and help. It reads one only from <root>/oclif.manifest.json, where
// bin/dev.js would read it too and run the build instead of the sources; so
// the build writes it to dist/ and the root plugin is handed it here. A
// missing or other-version manifest falls back to oclif's own loading.
const manifestOf = Plugin.prototype._manifest
if (typeof manifestOf === 'function') {
  Plugin.prototype._manifest = async function () {
    if (this.isRoot) {
      try {
        const manifest = JSON.parse(readFileSync(new URL('../dist/oclif.manifest.json', import.meta.url), 'utf8'))
        if (manifest.version === this.version) {
          this.hasManifest = true
          this.commandIDs = Object.keys(manifest.commands)
          return manifest
        }
      } catch {}
    }
    return manifestOf.call(this)
  }
}

await execute({dir: import.meta.url})
