import {setTimeout as sleep} from 'node:timers/promises'

import type {SocketTable} from './collect.js'
import {diffSockets, diffUnixSockets, type SocketChange, type UnixSocketChange} from './diff.js'
import {type ReportOptions, type SocketsReport, socketsReport} from './report.js'

export interface WatchTick {
  /** 1 for the first snapshot. */
  readonly tick: number
  readonly report: SocketsReport
  readonly table: SocketTable
  /** Since the previous snapshot; empty on the first. */
  readonly changes: readonly SocketChange[]
  readonly unixChanges: readonly UnixSocketChange[]
}

export interface WatchOptions extends ReportOptions {
  readonly intervalMs: number
  /** Stop after this many snapshots (like top -n); forever when absent. */
  readonly count?: number
  /** Abort to stop between snapshots. */
  readonly signal?: AbortSignal
}

/** Take a snapshot every intervalMs and hand each, with its changes, to onTick. */
export async function watchSockets(opts: WatchOptions, onTick: (t: WatchTick) => void | Promise<void>): Promise<void> {
  let previous: SocketTable | undefined
  for (let tick = 1; opts.count === undefined || tick <= opts.count; tick++) {
    if (opts.signal?.aborted) return
    const {report, table} = await socketsReport(opts)
    const changes = previous === undefined ? [] : diffSockets(previous.sockets, table.sockets)
    const unixChanges = previous === undefined || table.unix === undefined ? [] : diffUnixSockets(previous.unix ?? [], table.unix)
    await onTick({tick, report, table, changes, unixChanges})
    previous = table
    if (opts.count !== undefined && tick >= opts.count) return
    try {
      // Not unref'd: this wait is what keeps a watching process alive.
      await sleep(opts.intervalMs, undefined, {signal: opts.signal})
    } catch {
      return // aborted
    }
  }
}
