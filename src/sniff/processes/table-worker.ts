// Reads the socket table off the main thread: scanning every process's file
// descriptors takes hundreds of ms on a busy machine, and a live capture whose
// event loop stalls that long stamps its packets late (cap stamps in JS).

import {parentPort} from 'node:worker_threads'

import type {PortRange} from '../../net/index.js'
import {collectSockets, readLocalAddresses, type SocketRow} from '../../sockets/index.js'

export interface TableRequest {
  readonly id: number
  /** Only sockets with a local or peer port here (the captured server ports), when given. */
  readonly ports?: readonly PortRange[]
  /** Another network namespace's tables (/proc/PID/net, --netns): its local addresses come back too. */
  readonly netDir?: string
}

parentPort?.on('message', async (req: TableRequest) => {
  try {
    const table = await collectSockets({filter: {protocols: new Set(['tcp']), ports: req.ports}, backlog: false, netDir: req.netDir})
    const localAddresses = req.netDir === undefined ? undefined : readLocalAddresses(req.netDir)
    // Only sockets a process holds name anything. A server's port under short connections keeps
    // thousands in TIME_WAIT (no owner): shipped ten times a second, they were most of sniff's heap.
    // A listener the filter shows is in both lists: once is enough.
    const owned = (r: SocketRow) => r.pid !== null && r.pid !== undefined
    const sockets = table.sockets.filter(owned)
    const shown = new Set(sockets.map((r) => r.inode))
    const rows = [...sockets, ...table.listeners.filter((l) => owned(l) && !shown.has(l.inode))]
    parentPort!.postMessage({id: req.id, rows, localAddresses})
  } catch (e) {
    parentPort!.postMessage({id: req.id, error: e instanceof Error ? e.message : String(e)})
  }
})
