// Runs `rpcdiag sockets ARGS` from the TypeScript sources in its own process,
// the way bin/run.js runs the built CLI: parse, run, print, then oclif's
// handle() for errors (message on stderr and the exit code).
//
// Why not ./bin/dev.js: its oclif cannot register this tsx version (it falls
// back to dist/ with a debug message), so it silently runs whatever was last
// built, or finds no `sockets` command at all before `npm run build`.
import {flush, handle} from '@oclif/core'
import {fileURLToPath} from 'node:url'

import Sockets from '../../commands/sockets.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
await Sockets.run(process.argv.slice(2), root)
  .then(async () => flush())
  .catch(async (error: Error) => handle(error))
