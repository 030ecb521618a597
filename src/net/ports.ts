import {err, ok, type Result, UsageError} from '../errors.js'

// Ports and port ranges: the one place that parses, matches and formats them
// (sniff's --port and BPF filter, sockets' --port and groups, the reassembler's
// server side), and the ports TinyPB servers are found on by default.

/** Ports from..to, both included (a single port has from === to). */
export interface PortRange {
  readonly from: number
  readonly to: number
}

export function parsePort(text: string): Result<number, UsageError> {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
  if (!(port >= 0 && port <= 65_535)) {
    return err(new UsageError('BAD_PORT', `invalid port "${text}": expected an integer from 0 to 65535`))
  }
  return ok(port)
}

export interface PortRangeOptions {
  /** Port 0 names no server, but a socket table shows it (unconnected sockets). */
  readonly allowZero?: boolean
}

/** "12345" or "8000-8100", as every --port flag takes it. */
export function parsePortRange(text: string, opts: PortRangeOptions = {}): Result<PortRange, UsageError> {
  const min = opts.allowZero ? 0 : 1
  const t = text.trim()
  const bad = (why: string) =>
    err(new UsageError('BAD_PORT', `invalid port "${t}": ${why}; valid values are ${min} to 65535, or a range such as 8000-8100`))
  const parts = t.split('-')
  if (parts.length > 2) return bad('too many "-"')
  const ends: number[] = []
  for (const p of parts) {
    const port = parsePort(p.trim())
    if (!port.ok || port.value < min) return bad(p.trim() === '' ? 'empty' : 'out of range or not a number')
    ends.push(port.value)
  }
  const [from, to = from] = ends
  if (to < from) return bad(`${from} is above ${to}`)
  return ok({from, to})
}

/**
 * Every value of a repeatable --port flag (each may itself be "a,b"); the
 * first bad one is the error.
 */
export function parsePortRanges(texts: ReadonlyArray<string | number>, opts: PortRangeOptions = {}): Result<PortRange[], UsageError> {
  const out: PortRange[] = []
  for (const value of texts) {
    for (const text of String(value).split(',')) {
      const r = parsePortRange(text, opts)
      if (!r.ok) return r
      out.push(r.value)
    }
  }
  return ok(out)
}

export function singlePort(port: number): PortRange {
  return {from: port, to: port}
}

export function inPortRanges(port: number, ranges: readonly PortRange[]): boolean {
  for (let i = 0; i < ranges.length; i++) if (port >= ranges[i].from && port <= ranges[i].to) return true
  return false
}

/** Either end of a connection on one of the ports. */
export function eitherInPortRanges(a: number, b: number, ranges: readonly PortRange[]): boolean {
  return inPortRanges(a, ranges) || inPortRanges(b, ranges)
}

/** The ports of the ranges that are one port each. */
export function singlePorts(ranges: readonly PortRange[]): number[] {
  return ranges.filter((r) => r.from === r.to).map((r) => r.from)
}

/** "12345" or "8000-8100". */
export function formatPortRange(r: PortRange): string {
  return r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`
}

/** "12345 or 8000-8100". */
export function formatPortRanges(ranges: readonly PortRange[], separator = ' or '): string {
  return ranges.map(formatPortRange).join(separator)
}

/**
 * Ports where TinyPB servers are found by default. rpcdiag cannot tell a
 * TinyPB listener from any other without talking to it, so what needs to
 * guess (sockets --tinypb, the Wireshark dissector) starts from these, the
 * ports given with --port, and RPCDIAG_TINYPB_PORTS.
 */
export const KNOWN_TINYPB_PORTS: ReadonlyMap<number, string> = new Map([
  [12_345, "rocket's test server (conf/rocket.xml)"],
  [39_999, "tinyrpc's test_tinypb_server (conf/test_tinypb_server.xml)"],
])

/** Known ports plus RPCDIAG_TINYPB_PORTS ("8080,9000"); bad entries are ignored. */
export function tinypbPorts(env: NodeJS.ProcessEnv = process.env): Map<number, string> {
  const ports = new Map(KNOWN_TINYPB_PORTS)
  for (const text of (env.RPCDIAG_TINYPB_PORTS ?? '').split(',')) {
    const port = parsePort(text.trim())
    if (port.ok && port.value > 0 && !ports.has(port.value)) ports.set(port.value, 'RPCDIAG_TINYPB_PORTS')
  }
  return ports
}
