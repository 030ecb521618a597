import {formatIpv4, formatIpv6, parseIpv4, parseIpv6} from '../../decoders/packet/index.js'
import {err, ok, type Result, UsageError} from '../errors.js'

/**
 * An address or a network in CIDR form (10.0.0.0/8, 2001:db8::/32): the one
 * place that parses and matches them, for sniff's --host and the sockets
 * filter's src/dst.
 */
export interface IpPrefix {
  /** Canonical text: "10.0.0.0/8", "127.0.0.1", "::1". */
  readonly text: string
  /** The network bytes, masked to the prefix (4 or 16). */
  readonly bytes: Uint8Array
  /** 32 or 128 for a single address. */
  readonly prefix: number
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  return Uint8Array.from(bytes, (b, i) => b & (0xff << Math.max(0, 8 - Math.max(0, prefix - i * 8))))
}

/** "127.0.0.1", "::1", "10.0.0.0/8", "2001:db8::/32"; undefined when it is none of these. */
export function parseIpPrefix(text: string): IpPrefix | undefined {
  const [addr, prefixText, extra] = text.trim().split('/')
  if (extra !== undefined) return undefined
  const bytes = parseIpv4(addr) ?? parseIpv6(addr)
  if (bytes === undefined) return undefined
  const bits = bytes.length * 8
  if (prefixText === undefined) return {text: bytes.length === 4 ? formatIpv4(bytes, 0) : formatIpv6(bytes, 0), bytes, prefix: bits}
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN
  if (!(prefix >= 0 && prefix <= bits)) return undefined
  const masked = maskBytes(bytes, prefix)
  return {text: `${masked.length === 4 ? formatIpv4(masked, 0) : formatIpv6(masked, 0)}/${prefix}`, bytes: masked, prefix}
}

/** parseIpPrefix with the error a flag or filter reports. */
export function parseIpPrefixOrError(text: string, what: string): Result<IpPrefix, UsageError> {
  const p = parseIpPrefix(text)
  return p === undefined
    ? err(new UsageError('BAD_HOST', `invalid ${what} "${text}": expected an IPv4 or IPv6 address, or a network like 10.0.0.0/8 or fd00::/8`))
    : ok(p)
}

/**
 * Is the address (text, as /proc and the packet decoders print it) inside the
 * prefix? An IPv4-mapped IPv6 address (::ffff:1.2.3.4, a dual-stack socket)
 * matches as the IPv4 address it carries.
 */
export function inIpPrefix(address: string, p: IpPrefix): boolean {
  const v4 = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
  const bytes = v4.includes(':') ? parseIpv6(v4) : parseIpv4(v4)
  if (bytes === undefined || bytes.length !== p.bytes.length) return false
  for (let i = 0; i * 8 < p.prefix; i++) {
    const mask = (0xff << Math.max(0, 8 - (p.prefix - i * 8))) & 0xff
    if ((bytes[i] & mask) !== p.bytes[i]) return false
  }
  return true
}
