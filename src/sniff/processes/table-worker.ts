// Reads the socket table off the main thread: scanning every process's file
// descriptors takes hundreds of ms on a busy machine, and a live capture whose
// event loop stalls that long stamps its packets late (cap stamps in JS).

import {parentPort} from 'node:worker_threads'

import type {PortRange} from '../../net/index.js'
import {collectSockets, readLocalAddresses} from '../../sockets/index.js'

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
    parentPort!.postMessage({id: req.id, rows: [...table.sockets, ...table.listeners], localAddresses})
  } catch (e) {
    parentPort!.postMessage({id: req.id, error: e instanceof Error ? e.message : String(e)})
  }
})
