// A worker thread started from the TypeScript sources (bin/dev.js, tests):
// Node 20 does not pass tsx's loader hooks on to workers, so this registers
// them in the worker, then loads the worker module named in workerData. The
// built CLI starts its workers from dist/ directly and never loads this.
import {workerData} from 'node:worker_threads'

import {register} from 'tsx/esm/api'

register()
await import(workerData.module)
