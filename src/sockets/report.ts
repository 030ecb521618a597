import {type CollectOptions, collectSockets, type SocketSource, type SocketTable} from './collect.js'
import {type Diagnosis, type DiagnoseOptions, diagnoseSockets} from './diagnose.js'
import {describeFilter, type SocketFilter} from './filter.js'
import {type SocketSummary, summarizeSockets} from './summary.js'
import {groupByListener, type ListenerGroup} from './tinypb-groups.js'
import {singlePort, singlePorts, tinypbPorts} from '../net/index.js'
import type {ProcessInfo, SocketRow, UnixSocketRow} from './types.js'

/**
 * What `rpcdiag sockets --json` prints (one object; with --watch, one per
 * refresh, each on its own line, with `changes` added). The README quotes it.
 *
 *   {
 *     "collectedAt": "2024-05-14T10:00:00.000Z",
 *     "source": "proc",                      // or "systeminformation"
 *     "filter": "port 12345",                // the filter in words
 *     "sockets": [{                           // SocketRow, sorted
 *       "protocol": "tcp", "family": 4, "state": "CLOSE-WAIT",
 *       "localAddress": "127.0.0.1", "localPort": 12345,
 *       "peerAddress": "127.0.0.1", "peerPort": 51234,
 *       "recvQ": 0, "sendQ": 0,               // bytes, as ss shows them; LISTEN: accept queue / backlog
 *       "inode": 123456, "uid": 1000,
 *       "pid": 4321, "process": "rocket_server",
 *       "owners": [{"pid": 4321, "process": "rocket_server", "fd": 12}],
 *       "pidMissing": null                    // or "kernel" | "permission" | "unseen"
 *     }],
 *     "summary": {"total": 1, "tcp": {"total": 1, "ipv4": 1, "ipv6": 0, "states": {"CLOSE-WAIT": 1}},
 *                 "udp": {...}, "queues": {...}, "pidMissing": {...}, "unix": {...}?},
 *     "warnings": [{"code": "CLOSE_WAIT_PILEUP", "severity": "warning", "count": 20,
 *                   "endpoint": "127.0.0.1:12345", "pid": 4321, "process": "rocket_server", "message": "..."}],
 *     "groups": [ListenerGroup]?,             // with --tinypb or a known TinyPB --port
 *     "unix": [UnixSocketRow]?,               // with --unix
 *     "processes": {"4321": {"pid": 4321, "name": "rocket_server", "command": "./rocket_server ../conf/rocket.xml", "uid": 1000}},
 *     "notes": ["..."]                        // what limited the snapshot
 *   }
 */
export interface SocketsReport {
  readonly collectedAt: string
  readonly source: SocketSource
  readonly filter: string
  readonly sockets: readonly SocketRow[]
  readonly summary: SocketSummary
  readonly warnings: readonly Diagnosis[]
  readonly groups?: readonly ListenerGroup[]
  readonly unix?: readonly UnixSocketRow[]
  readonly processes: Readonly<Record<string, ProcessInfo>>
  readonly notes: readonly string[]
}

export interface ReportOptions extends CollectOptions {
  /**
   * Group by TinyPB server port: true for the known ports (and --port values),
   * a list for exactly these ports. Off by default, on when a --port is a known TinyPB port.
   */
  readonly tinypb?: boolean | readonly number[]
  readonly diagnose?: DiagnoseOptions
  readonly env?: NodeJS.ProcessEnv
}

/** The TinyPB ports to group by, or undefined when grouping is off. */
export function tinypbGroupPorts(filter: SocketFilter, tinypb: ReportOptions['tinypb'], env?: NodeJS.ProcessEnv): Map<number, string> | undefined {
  const known = tinypbPorts(env)
  if (Array.isArray(tinypb)) return new Map(tinypb.map((p) => [p, known.get(p) ?? 'requested']))
  const single = singlePorts(filter.ports ?? [])
  if (tinypb === true) {
    if (single.length > 0) return new Map(single.map((p) => [p, known.get(p) ?? '--port']))
    return known
  }
  const knownGiven = single.filter((p) => known.has(p))
  return knownGiven.length > 0 ? new Map(knownGiven.map((p) => [p, known.get(p)!])) : undefined
}

/** Summary, warnings and groups for a snapshot. Pure. */
export function buildReport(table: SocketTable, filter: SocketFilter, opts: ReportOptions = {}): SocketsReport {
  const groupPorts = tinypbGroupPorts(filter, opts.tinypb, opts.env)
  const processes: Record<string, ProcessInfo> = {}
  for (const [pid, info] of [...table.processes].sort((a, b) => a[0] - b[0])) processes[pid] = info
  return {
    collectedAt: new Date(table.collectedAt).toISOString(),
    source: table.source,
    filter: describeFilter(filter),
    sockets: table.sockets,
    summary: summarizeSockets(table.sockets, table.unix),
    warnings: diagnoseSockets(table, opts.diagnose),
    ...(groupPorts === undefined ? {} : {groups: groupByListener(table, groupPorts)}),
    ...(table.unix === undefined ? {} : {unix: table.unix}),
    processes,
    notes: table.notes,
  }
}

/**
 * Filter for the TinyPB view: `--tinypb` alone narrows the view to the known
 * TinyPB ports so the groups have their sockets.
 */
export function withTinypbPorts(filter: SocketFilter, tinypb: ReportOptions['tinypb'], env?: NodeJS.ProcessEnv): SocketFilter {
  if (tinypb === undefined || tinypb === false || filter.ports !== undefined) return filter
  const ports = Array.isArray(tinypb) ? tinypb : [...tinypbPorts(env).keys()]
  return {...filter, ports: ports.map(singlePort)}
}

/**
 * Collect and report in one call: what the demo command uses to print the
 * sockets view of its port, e.g. socketsReport({filter: {ports: [{from: p, to: p}]}, tinypb: [p]}).
 */
export async function socketsReport(opts: ReportOptions = {}): Promise<{report: SocketsReport; table: SocketTable}> {
  const filter = withTinypbPorts(opts.filter ?? {}, opts.tinypb, opts.env)
  const table = await collectSockets({...opts, filter})
  return {report: buildReport(table, filter, opts), table}
}
