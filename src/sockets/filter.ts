import {err, ok, type Result, UsageError} from '../errors.js'
import {formatPortRanges, inPortRanges, parsePortRanges, type PortRange} from '../net/index.js'
import {matchesSsExpr, parseSsFilter, type SsFilter} from './ss-filter.js'
import {parseStateName} from './states.js'
import type {InetProtocol, IpFamily, ProcessInfo, SocketOwner, SocketRow, SocketState, UnixSocketState} from './types.js'


/**
 * What `rpcdiag sockets` shows. Values of one criterion are alternatives
 * (--port 80 --port 443: either); different criteria must all hold.
 * An absent criterion matches everything.
 */
export interface SocketFilter {
  /** Local or peer port in one of the ranges. */
  readonly ports?: readonly PortRange[]
  readonly states?: ReadonlySet<SocketState>
  readonly pids?: ReadonlySet<number>
  /** Substrings of the process name (/proc/PID/comm) or of its program's file name. */
  readonly processes?: readonly string[]
  /** TCP listeners and unconnected UDP sockets only, as ss -l shows. */
  readonly listen?: boolean
  readonly protocols?: ReadonlySet<InetProtocol>
  readonly families?: ReadonlySet<IpFamily>
  /** ss's filter from the arguments: `state close-wait '( sport = :12346 )'`. */
  readonly expression?: SsFilter
}

/** The command's flags, as oclif parses them. */
export interface SocketFilterFlags {
  readonly port?: readonly string[]
  readonly state?: readonly string[]
  readonly pid?: readonly string[]
  readonly process?: readonly string[]
  readonly listen?: boolean
  readonly tcp?: boolean
  readonly udp?: boolean
  readonly ipv4?: boolean
  readonly ipv6?: boolean
  /** The arguments: ss's filter words. */
  readonly expression?: readonly string[]
}

export function parsePid(text: string): Result<number, UsageError> {
  const pid = /^\d{1,10}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN
  if (!(pid >= 1 && pid <= 4_194_304)) {
    // 4194304 is the kernel's PID_MAX_LIMIT on 64-bit machines.
    return err(new UsageError('BAD_PID', `invalid pid "${text}": valid values are process ids from 1 to 4194304`))
  }
  return ok(pid)
}

/** Parse every value of a repeatable flag; the first bad one is the error. */
function parseEach<T>(texts: readonly string[], parse: (text: string) => Result<T, UsageError>): Result<T[], UsageError> {
  const out: T[] = []
  for (const text of texts) {
    const r = parse(text)
    if (!r.ok) return r
    out.push(r.value)
  }
  return ok(out)
}

/** Turn the command's flags into a filter; any bad value is a UsageError that lists the valid ones. */
export function parseSocketFilter(flags: SocketFilterFlags): Result<SocketFilter, UsageError> {
  const filter: {-readonly [K in keyof SocketFilter]: SocketFilter[K]} = {}
  if (flags.port !== undefined && flags.port.length > 0) {
    // Socket tables show port 0 (unconnected sockets), so it is a valid filter here.
    const ports = parsePortRanges(flags.port, {allowZero: true})
    if (!ports.ok) return ports
    filter.ports = ports.value
  }
  if (flags.state !== undefined && flags.state.length > 0) {
    const states = parseEach(flags.state, parseStateName)
    if (!states.ok) return states
    filter.states = new Set(states.value.flat())
  }
  if (flags.pid !== undefined && flags.pid.length > 0) {
    const pids = parseEach(flags.pid, parsePid)
    if (!pids.ok) return pids
    filter.pids = new Set(pids.value)
  }
  if (flags.process !== undefined && flags.process.length > 0) {
    const names = flags.process.map((p) => p.trim())
    if (names.some((n) => n === '')) return err(new UsageError('BAD_PROCESS', 'empty --process: give a process name such as rocket_server or node'))
    filter.processes = names
  }
  if (flags.listen) filter.listen = true
  if (flags.tcp !== flags.udp) filter.protocols = new Set<InetProtocol>([flags.tcp ? 'tcp' : 'udp'])
  if (flags.ipv4 !== flags.ipv6) filter.families = new Set<IpFamily>([flags.ipv4 ? 4 : 6])
  if (flags.expression !== undefined && flags.expression.length > 0) {
    const expression = parseSsFilter(flags.expression)
    if (!expression.ok) return expression
    filter.expression = expression.value
  }
  return ok(filter)
}

/** The criteria that need no process information, checked before the (costly) owner scan. */
export function matchesSocket(
  row: Pick<SocketRow, 'protocol' | 'family' | 'state' | 'localAddress' | 'localPort' | 'peerAddress' | 'peerPort'>,
  filter: SocketFilter,
): boolean {
  if (filter.protocols !== undefined && !filter.protocols.has(row.protocol)) return false
  if (filter.families !== undefined && !filter.families.has(row.family)) return false
  if (filter.listen && row.state !== 'LISTEN' && row.state !== 'UNCONN') return false
  if (filter.states !== undefined && !filter.states.has(row.state)) return false
  if (filter.ports !== undefined) {
    const {localPort, peerPort} = row
    // An unconnected socket has peer port 0: only its local port counts.
    if (!inPortRanges(localPort, filter.ports) && !(peerPort !== 0 && inPortRanges(peerPort, filter.ports))) return false
  }
  const ss = filter.expression
  if (ss !== undefined) {
    if (ss.states !== undefined && !ss.states.has(row.state)) return false
    if (ss.expr !== undefined && !matchesSsExpr(row, ss.expr)) return false
  }
  return true
}

/** True when the filter has criteria that need to know the owning process. */
export function needsOwners(filter: SocketFilter): boolean {
  return filter.pids !== undefined || filter.processes !== undefined
}

function programName(command: string): string {
  const argv0 = command.split(' ')[0] ?? ''
  return argv0.slice(argv0.lastIndexOf('/') + 1)
}

/** --pid and --process: does any owner of the socket match? */
export function matchesOwners(owners: readonly SocketOwner[], processes: ReadonlyMap<number, ProcessInfo>, filter: SocketFilter): boolean {
  if (filter.pids !== undefined && !owners.some((o) => filter.pids!.has(o.pid))) return false
  if (filter.processes !== undefined) {
    const hit = owners.some((o) => {
      const info = processes.get(o.pid)
      const program = info === undefined ? '' : programName(info.command)
      return filter.processes!.some((name) => o.process.includes(name) || program.includes(name))
    })
    if (!hit) return false
  }
  return true
}

/** The state filter read for Unix sockets: listen, established (connected), syn-sent (connecting), closed (unconnected). */
const UNIX_STATE: Partial<Record<SocketState, UnixSocketState>> = {
  LISTEN: 'LISTEN',
  ESTABLISHED: 'CONNECTED',
  'SYN-SENT': 'CONNECTING',
  CLOSE: 'UNCONNECTED',
}

export function matchesUnixSocket(row: {readonly state: UnixSocketState}, filter: SocketFilter): boolean {
  if (filter.listen && row.state !== 'LISTEN') return false
  for (const states of [filter.states, filter.expression?.states]) {
    if (states === undefined) continue
    const wanted = new Set([...states].map((s) => UNIX_STATE[s]))
    if (!wanted.has(row.state)) return false
  }
  // Ports and addresses: a Unix socket has neither.
  return filter.expression?.expr === undefined
}

/** A short text of the filter for headers and JSON ("port 12345, state CLOSE-WAIT"). */
export function describeFilter(filter: SocketFilter): string {
  const parts: string[] = []
  if (filter.protocols) parts.push([...filter.protocols].join('+'))
  if (filter.families) parts.push(`IPv${[...filter.families].join('+')}`)
  if (filter.listen) parts.push('listening')
  if (filter.ports) parts.push(`port ${formatPortRanges(filter.ports)}`)
  if (filter.states) parts.push(`state ${[...filter.states].join(' or ')}`)
  if (filter.pids) parts.push(`pid ${[...filter.pids].join(' or ')}`)
  if (filter.processes) parts.push(`process ${filter.processes.join(' or ')}`)
  if (filter.expression) parts.push(filter.expression.text)
  return parts.length === 0 ? 'all sockets' : parts.join(', ')
}
