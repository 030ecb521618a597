// What the main thread and the owner worker (worker.ts) share: the worker's
// start data, its one reply, and the layout of the shared Int32Array.

/** Int32 slots of OwnerWorkerData.shared. */
export const NEXT = 0 // index of the next process to claim (Atomics.add)
export const STATE = 1 // who got there first: the worker (running) or the main thread (closed)
export const STATE_RUNNING = 1
export const STATE_CLOSED = 2
export const SHARED_SLOTS = 2

export interface OwnerWorkerData {
  readonly root: string
  readonly pids: readonly string[]
  /** SHARED_SLOTS Int32 slots. */
  readonly shared: SharedArrayBuffer
}

/** Every socket fd the worker saw, as columns; and the processes it may not read. */
export interface OwnerWorkerResult {
  readonly inodes: Float64Array
  readonly pids: Int32Array
  readonly fds: Int32Array
  readonly denied: string[]
}
