#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// rpcdiag straight from the TypeScript sources, never a stale build: tsx is
// loaded by the line above, and oclif is pointed at ./commands instead of
// ./dist/commands. Errors print as users see them; DEBUG=* shows stacks.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {execute, settings} from '@oclif/core'

const root = fileURLToPath(new URL('..', import.meta.url))
const pjson = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'))
pjson.oclif.commands = './commands'
pjson.oclif.helpClass = './src/cli/help.ts'
pjson.oclif.hooks = {...pjson.oclif.hooks, command_not_found: './src/cli/not-found.ts', postrun: './src/cli/completion-hook.ts'}
// tsx is already loaded: oclif must not try to register a transpiler of its own.
settings.enableAutoTranspile = false

await execute({dir: import.meta.url, loadOptions: {root, pjson}})
