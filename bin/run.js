#!/usr/bin/env node
// rpcdiag as users run it: the build in dist/ (`npm run build`; `npm ci` runs
// it), CommonJS bundles of oclif and of each command made by
// scripts/build.mjs, described by the oclif.manifest.json the build writes
// beside package.json, where oclif reads it. Start-up is most of a one-shot
// command's time: see bench/startup.ts.
const {execute, settings} = require('../dist/oclif.cjs')

// The build is what runs, even when NODE_ENV is test or development: oclif
// would otherwise look for the TypeScript sources of dist/commands and try to
// register tsx or ts-node for them.
settings.enableAutoTranspile = false

// The package root, where package.json and oclif.manifest.json are (this folder's
// package.json only makes run.js CommonJS, which starts faster than an ES module).
execute({dir: require('node:path').join(__dirname, '..')})
