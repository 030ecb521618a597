import {err, ok, type Result, UsageError} from '../errors.js'
import {inIpPrefix, type IpPrefix, parseIpPrefix, parsePort} from '../net/index.js'
import {parse, type SyntaxError as PeggySyntaxError} from './ss-filter-parser.js'
import {ALL_STATES, parseStateName} from './states.js'
import type {SocketRow, SocketState} from './types.js'

/**
 * ss's filter grammar, typed as arguments after `rpcdiag sockets`:
 *
 *   rpcdiag sockets state close-wait '( sport = :12346 or dport = :12346 )'
 *
 * The grammar is src/sockets/ss-filter.peggy (peggy, a PEG parser generator:
 * its errors carry the column); this file checks the words it hands back
 * (ports through src/net/ports.ts, addresses through src/net/ip-prefix.ts,
 * states through states.ts) and shapes the result.
 */

/** ss's comparison operators, by the names ss gives them. */
export type PortOp = 'eq' | 'ne' | 'lt' | 'gt' | 'le' | 'ge'

/** A socket end: src is the local one (sport), dst the peer (dport), as in ss. */
export type Side = 'src' | 'dst'

/** `src 10.0.0.0/8:12346`: an address or network and a port, either may be any (`*`, or left out). */
export interface HostCond {
  readonly prefix: IpPrefix | null
  readonly port: number | null
}

export type SsExpr =
  | {readonly kind: 'and' | 'or'; readonly left: SsExpr; readonly right: SsExpr}
  | {readonly kind: 'not'; readonly expr: SsExpr}
  | {readonly kind: 'port'; readonly side: Side; readonly op: PortOp; readonly port: number}
  | {readonly kind: 'host'; readonly side: Side; readonly negate: boolean; readonly host: HostCond}

export interface SsFilter {
  /** The filter as typed, arguments joined by spaces (what columns count in). */
  readonly text: string
  /** From `state X` and `exclude X`; undefined when neither is given. */
  readonly states?: ReadonlySet<SocketState>
  readonly expr?: SsExpr
}

interface Checked<T> {
  readonly ok: boolean
  readonly value?: T
  readonly error?: {readonly message: string}
}

function checked<T>(r: Result<T, UsageError>): Checked<T> {
  return r.ok ? {ok: true, value: r.value} : {ok: false, error: {message: r.error.message}}
}

/** `:12346`, `12346` or `*` (any): ss's port word. Service names are refused: rpcdiag resolves nothing. */
export function parseSsPort(text: string): Result<number | null, UsageError> {
  const t = text.startsWith(':') ? text.slice(1) : text
  if (t === '*' || t === '') return text === '' ? err(new UsageError('BAD_PORT', 'empty port')) : ok(null)
  if (!/^\d+$/.test(t)) {
    return err(new UsageError('BAD_PORT', `"${text}" is not a port number: rpcdiag resolves no service names, write the number (:22, not :ssh)`))
  }
  return parsePort(t)
}

/** The port of sport/dport OP PORT: a number, since `*` compares with nothing. */
function parseComparedPort(text: string): Result<number, UsageError> {
  const r = parseSsPort(text)
  if (!r.ok) return r
  return r.value === null ? err(new UsageError('BAD_PORT', `"${text}" is every port: give a port number`)) : ok(r.value)
}

/**
 * ss's host word: `127.0.0.1`, `10.0.0.0/8`, `10.0.0.0/8:80`, `127.0.0.1:12346`,
 * `[::1]`, `[::1]:12346`, `[fd00::]/8`, `:12346`, `*:12346`, `*`.
 * An IPv6 address with a port goes in brackets, as in ss.
 */
export function parseSsHost(text: string): Result<HostCond, UsageError> {
  let addr: string
  let portText: string | undefined
  const bracket = /^\[([^\]]*)\](\/\d+)?(?::(.*))?$/.exec(text)
  if (bracket) {
    addr = bracket[1] + (bracket[2] ?? '')
    portText = bracket[3]
  } else if (text.startsWith('*')) {
    addr = ''
    portText = text.length > 1 ? text.slice(1).replace(/^:/, '') : undefined
  } else {
    // The port is after the last colon, and after the prefix length if any (ss does the same).
    const slash = text.indexOf('/')
    const colon = text.lastIndexOf(':')
    const v6 = (text.slice(0, slash < 0 ? undefined : slash).match(/:/g) ?? []).length > 1
    if (colon >= 0 && colon > slash && !(v6 && slash < 0)) {
      addr = text.slice(0, colon)
      portText = text.slice(colon + 1)
    } else addr = text
  }
  let prefix: IpPrefix | null = null
  if (addr !== '' && addr !== '*') {
    const p = parseIpPrefix(addr)
    if (p === undefined) {
      return err(new UsageError('BAD_HOST', `"${text}" is not an address: expected 127.0.0.1, 10.0.0.0/8, [::1]:12346, :12346 or *:12346 (rpcdiag resolves no host names)`))
    }
    prefix = p
  }
  let port: number | null = null
  if (portText !== undefined && portText !== '') {
    const r = parseSsPort(portText)
    if (!r.ok) return r
    port = r.value
  }
  return ok({prefix, port})
}

/** peggy's "Expected ... but ... found", without the whitespace and word-class entries nobody types. */
function syntaxMessage(e: PeggySyntaxError): string {
  if (e.expected === null || e.expected === undefined) return e.message
  const wanted = [...new Set(e.expected.filter((x) => x.type === 'other' || x.type === 'literal' || x.type === 'end').map((x) => x.type === 'end' ? 'the end' : x.type === 'literal' ? `"${x.text}"` : x.description))].filter(
    (d) => d !== 'space' && d !== 'an ss condition /proc cannot answer' && d !== 'a state phrase out of place',
  )
  const list = wanted.length <= 1 ? (wanted[0] ?? 'something else') : `${wanted.slice(0, -1).join(', ')} or ${wanted.at(-1)}`
  return `expected ${list}`
}

/** The syntax in one line, for the hint under a bad filter. */
export const SS_FILTER_SYNTAX = '[state STATE | exclude STATE]... [sport|dport [OP] :PORT | src|dst [!=] ADDR[/LEN][:PORT] | not | and | or | ( )]... (OP: = != < > <= >=)'


/**
 * Parse the filter words. A bad one is a UsageError whose message names the
 * column (1-based, in the words joined by spaces) and what was expected there.
 */
export function parseSsFilter(words: readonly string[]): Result<SsFilter, UsageError> {
  const text = words.join(' ')
  let tree: {states: Array<{kind: 'state' | 'exclude'; states: readonly SocketState[]}>; expr: SsExpr | null}
  try {
    tree = parse(text, {
      port: (t: string) => checked(parseComparedPort(t)),
      host: (t: string) => checked(parseSsHost(t)),
      state: (t: string) => checked(parseStateName(t)),
    })
  } catch (e) {
    const pe = e as PeggySyntaxError
    if (pe.location === undefined) throw e
    const {column, offset} = pe.location.start
    // The whole word there, not peggy's one character.
    const at = /^[^ \t\r\n]*/.exec(text.slice(offset))![0]
    const where = at === '' ? `column ${column} (the end)` : `column ${column} ("${at}")`
    return err(new UsageError('BAD_EXPRESSION', `bad filter at ${where}: ${syntaxMessage(pe)}`, {hint: `filter syntax, as ss takes it: ${SS_FILTER_SYNTAX}`}))
  }
  // ss: `state` sets the states (the first one starting from none), `exclude` removes (starting from all).
  let states: Set<SocketState> | undefined
  for (const s of tree.states) {
    if (s.kind === 'state') {
      states ??= new Set()
      for (const x of s.states) states.add(x)
    } else {
      states ??= new Set(ALL_STATES)
      for (const x of s.states) states.delete(x)
    }
  }
  return ok({text, ...(states === undefined ? {} : {states}), ...(tree.expr === null ? {} : {expr: tree.expr})})
}

function compare(value: number, op: PortOp, port: number): boolean {
  switch (op) {
    case 'eq':
      return value === port
    case 'ne':
      return value !== port
    case 'lt':
      return value < port
    case 'gt':
      return value > port
    case 'le':
      return value <= port
    case 'ge':
      return value >= port
  }
}

/** The socket fields an expression reads. */
export type SsRow = Pick<SocketRow, 'localAddress' | 'localPort' | 'peerAddress' | 'peerPort'>

/** Does the row match? Evaluated as ss does: src is the local end, dst the peer. */
export function matchesSsExpr(row: SsRow, e: SsExpr): boolean {
  switch (e.kind) {
    case 'and':
      return matchesSsExpr(row, e.left) && matchesSsExpr(row, e.right)
    case 'or':
      return matchesSsExpr(row, e.left) || matchesSsExpr(row, e.right)
    case 'not':
      return !matchesSsExpr(row, e.expr)
    case 'port':
      return compare(e.side === 'src' ? row.localPort : row.peerPort, e.op, e.port)
    case 'host': {
      const [address, port] = e.side === 'src' ? [row.localAddress, row.localPort] : [row.peerAddress, row.peerPort]
      const hit = (e.host.port === null || e.host.port === port) && (e.host.prefix === null || inIpPrefix(address, e.host.prefix))
      return e.negate ? !hit : hit
    }
  }
}
