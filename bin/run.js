#!/usr/bin/env node
// rpcdiag as users run it: the build in dist/ (`npm run build`; `npm ci` runs
// it), an esbuild bundle of oclif and the commands made by scripts/build.mjs,
// described by the oclif.manifest.json the build writes beside package.json,
// where oclif reads it. Start-up is most of a one-shot command's time: see
// bench/startup.ts.
import {execute, settings} from '../dist/cli.js'

// The build is what runs, even when NODE_ENV is test or development: oclif
// would otherwise look for the TypeScript sources of dist/commands and try to
// register tsx or ts-node for them.
settings.enableAutoTranspile = false

await execute({dir: import.meta.url})
