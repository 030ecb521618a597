import {extname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import {listPids, walkFdTables} from './fd-walk.js'
import {OwnerCollector, type OwnerScan} from './scan.js'
import {NEXT, type OwnerWorkerData, type OwnerWorkerResult, SHARED_SLOTS, STATE, STATE_CLOSED, STATE_RUNNING} from './worker-protocol.js'

/**
 * The owner scan on two threads. start() lists the processes and starts a
 * worker that begins walking their fd tables at once, while the caller reads
 * and parses the socket tables; finish(wanted) then walks what the worker
 * has not claimed yet on this thread and merges the two. Both take the next
 * process from one shared counter, so neither waits on the other's share; the
 * worker's results are every socket fd it saw (it does not know `wanted`).
 *
 * When the worker has not started by the time this thread is done, it is
 * told not to (one compare-and-swap) and nothing waits for it; when it fails,
 * this thread walks everything again. The owners come out as scanSocketOwners
 * gives them, each socket's in pid order.
 */
export interface ParallelOwnerScan {
  /** Walk the rest here, wait for the worker, and join: only the wanted inodes are kept. */
  finish(wanted: ReadonlySet<number>): Promise<OwnerScan>
  /** Stop without a result (nothing was wanted). */
  cancel(): void
}

export function startParallelOwnerScan(opts: {procRoot?: string} = {}): ParallelOwnerScan {
  const root = opts.procRoot ?? '/proc'
  const pids = listPids(root)
  const shared = new Int32Array(new SharedArrayBuffer(SHARED_SLOTS * Int32Array.BYTES_PER_ELEMENT))
  let worker: Worker | undefined
  let failed = false
  let result: Promise<OwnerWorkerResult | undefined> = Promise.resolve(undefined)
  try {
    worker = startWorker({root, pids, shared: shared.buffer as SharedArrayBuffer})
    const w = worker
    result = new Promise((resolve) => {
      w.once('message', (m: OwnerWorkerResult) => resolve(m))
      w.once('error', () => ((failed = true), resolve(undefined)))
      w.once('exit', () => resolve(undefined))
    })
  } catch {
    worker = undefined // no worker: this thread walks everything
  }

  const close = (): boolean => Atomics.compareExchange(shared, STATE, 0, STATE_CLOSED) === 0
  return {
    async finish(wanted) {
      const collector = new OwnerCollector(root, wanted)
      walkFdTables(root, pids, () => Atomics.add(shared, NEXT, 1), collector)
      // The worker never began: nothing of its to wait for.
      if (worker === undefined || close()) {
        void worker?.terminate()
        return collector.finish()
      }
      const theirs = await result
      void worker.terminate()
      if (theirs === undefined || failed) {
        // It claimed processes and did not report them: walk everything here.
        const again = new OwnerCollector(root, wanted)
        let next = 0
        walkFdTables(root, pids, () => next++, again)
        return again.finish()
      }
      for (let i = 0; i < theirs.inodes.length; i++) collector.socket(theirs.inodes[i], theirs.pids[i], theirs.fds[i])
      for (const p of theirs.denied) collector.denied(p)
      return collector.finish()
    },
    cancel() {
      close()
      void worker?.terminate()
    },
  }
}

/** The worker module beside this one: .cjs once built (dist/commands/owner-worker.cjs); from the sources, through bin/dev-worker.mjs (tsx). */
function startWorker(data: OwnerWorkerData): Worker {
  const ext = extname(fileURLToPath(import.meta.url))
  const w =
    ext === '.ts'
      ? new Worker(new URL('../../../bin/dev-worker.mjs', import.meta.url), {workerData: {...data, module: new URL('./worker.ts', import.meta.url).href}})
      : new Worker(new URL('./owner-worker.cjs', import.meta.url), {workerData: data})
  // Not unref'd: finish() waits for its message. Its work is bounded (one walk), so it never holds the process long.
  return w
}
