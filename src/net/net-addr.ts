import {isIP} from 'node:net'

import {err, ok, type Result, UsageError} from '../errors.js'

export interface NetAddr {
  readonly host: string
  readonly port: number
}

/** "host:port" with IPv6 in brackets, as ss and tcpdump print endpoints. */
export function formatAddr(a: NetAddr): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

export function parsePort(text: string): Result<number, UsageError> {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
  if (!(port >= 0 && port <= 65_535)) {
    return err(new UsageError('BAD_PORT', `invalid port "${text}": expected an integer from 0 to 65535`))
  }
  return ok(port)
}

/** Ports from..to, both included (a single port has from === to). */
export interface PortRange {
  readonly from: number
  readonly to: number
}

/**
 * "12345" or "8000-8100", as every --port flag takes it. Port 0 only with
 * allowZero (it names no server, but a socket table can show it).
 */
export function parsePortRange(text: string, opts: {allowZero?: boolean} = {}): Result<PortRange, UsageError> {
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

export function inPortRanges(port: number, ranges: readonly PortRange[]): boolean {
  for (const r of ranges) if (port >= r.from && port <= r.to) return true
  return false
}

/**
 * Parse "host:port", "[v6]:port", ":port" or "port" (host defaults to
 * defaultHost). Port 0 is refused unless allowZero (a listener may ask for it).
 */
export function parseAddr(text: string, defaultHost = '127.0.0.1', opts: {allowZero?: boolean} = {}): Result<NetAddr, UsageError> {
  let host = defaultHost
  let portText = text
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(text)
  if (v6) {
    host = v6[1]
    portText = v6[2]
  } else if (text.includes(':')) {
    const at = text.lastIndexOf(':')
    if (text.indexOf(':') !== at) {
      return err(new UsageError('BAD_ADDR', `invalid address "${text}": write IPv6 addresses as [addr]:port`))
    }
    host = text.slice(0, at) || defaultHost
    portText = text.slice(at + 1)
  }
  const port = parsePort(portText)
  if (!port.ok) return err(new UsageError('BAD_ADDR', `invalid address "${text}": ${port.error.message}`))
  if (port.value === 0 && !opts.allowZero) return err(new UsageError('BAD_ADDR', `invalid address "${text}": port 0 cannot be connected to`))
  return ok({host, port: port.value})
}
