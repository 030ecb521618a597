#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// rpcdiag straight from the TypeScript sources, never a stale build: tsx is
// loaded by the line above, and oclif is pointed at ./commands instead of
// ./dist/commands. Errors print as users see them; DEBUG=* shows stacks.
// CommonJS, like run.js beside it (bin/package.json).
const {readFileSync} = require('node:fs')
const {join} = require('node:path')

const {Config, handle, Plugin, run, settings} = require('@oclif/core')

const drained = require('./drained.js')

const root = join(__dirname, '..')
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
pjson.oclif.commands = './commands'
pjson.oclif.helpClass = './src/cli/help.ts'
pjson.oclif.hooks = {...pjson.oclif.hooks, command_not_found: './src/cli/not-found.ts', postrun: './src/cli/completion-hook.ts'}
// tsx is already loaded: oclif must not try to register a transpiler of its own.
settings.enableAutoTranspile = false

// The oclif.manifest.json beside package.json describes the last build, not
// these sources: the root plugin is loaded without it (each command imported
// to learn its flags, as oclif does without a manifest) and handed to oclif,
// which then loads the plugins of package.json as it would on its own.
async function main() {
  const plugin = new Plugin({root, pjson, isRoot: true, ignoreManifest: true})
  await plugin.load()
  const config = await Config.load({root, pjson, plugins: new Map([[plugin.name, plugin]])})
  await config.loadPluginsAndCommands({force: true})
  return run(process.argv.slice(2), config)
}

main().then(drained).catch(handle)
