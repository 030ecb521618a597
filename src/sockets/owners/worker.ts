// The second thread of a parallel owner scan (parallel.ts): it walks
// the fd tables of the processes it claims from the shared counter and sends
// back every socket fd it saw, as three columns (inode, pid, fd).

import {parentPort, workerData} from 'node:worker_threads'

import {walkFdTables} from './fd-walk.js'
import {NEXT, type OwnerWorkerData, type OwnerWorkerResult, STATE, STATE_CLOSED, STATE_RUNNING} from './worker-protocol.js'

const data = workerData as OwnerWorkerData
const shared = new Int32Array(data.shared)
// Started too late: the main thread has walked every process and does not wait.
if (Atomics.compareExchange(shared, STATE, 0, STATE_RUNNING) !== STATE_CLOSED) {
  let inodes = new Float64Array(4096)
  let pids = new Int32Array(4096)
  let fds = new Int32Array(4096)
  let n = 0
  const denied: string[] = []
  walkFdTables(data.root, data.pids, () => Atomics.add(shared, NEXT, 1), {
    socket(inode, pid, fd) {
      if (n === inodes.length) {
        const grow = <T extends Float64Array | Int32Array>(a: T, b: T): T => (b.set(a), b)
        inodes = grow(inodes, new Float64Array(n * 2))
        pids = grow(pids, new Int32Array(n * 2))
        fds = grow(fds, new Int32Array(n * 2))
      }
      inodes[n] = inode
      pids[n] = pid
      fds[n] = fd
      n++
    },
    denied: (p) => denied.push(p),
  })
  const result: OwnerWorkerResult = {inodes: inodes.subarray(0, n), pids: pids.subarray(0, n), fds: fds.subarray(0, n), denied}
  parentPort!.postMessage(result, [inodes.buffer, pids.buffer, fds.buffer])
}
