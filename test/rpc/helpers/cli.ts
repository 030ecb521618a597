// rpcdiag as a real process, straight from the TypeScript sources:
//   node --import tsx test/rpc/helpers/cli.ts call Order.makeOrder ...
// Production mode (one-line errors, as users see them), with oclif pointed at
// ./commands instead of ./dist/commands, so tests never run a stale build.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {execute, settings} from '@oclif/core'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const pjson = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'))
pjson.oclif.commands = './commands'
// tsx is already loaded (--import tsx): oclif must not try to register a transpiler.
settings.enableAutoTranspile = false

await execute({dir: import.meta.url, loadOptions: {root, pjson}})
