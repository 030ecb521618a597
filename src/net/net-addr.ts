import {isIP} from 'node:net'

import {err, ok, type Result, UsageError} from '../errors.js'
import {parsePort} from './ports.js'

export interface NetAddr {
  readonly host: string
  readonly port: number
}

/** "host:port" with IPv6 in brackets, as ss and tcpdump print endpoints. */
export function formatAddr(a: NetAddr): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
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
