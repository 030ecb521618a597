import {isIP} from 'node:net'

import {type CapturedPacket, decodeLinkLayer, decodePacket, IPPROTO_TCP} from '../../decoders/packet/index.js'
import {err, ok, type Result, UsageError} from '../errors.js'
import {eitherInPortRanges, inIpPrefix, parseIpPrefix, parsePortRanges, type PortRange} from '../net/index.js'

/** What the user asked to capture: repeatable --port and --host, and a raw --filter expression. */
export interface FilterSpec {
  /** Ports ("12345") or ranges ("8000-8010"), either side of the connection. */
  readonly ports?: readonly (number | string)[]
  /** IPv4/IPv6 addresses, networks in CIDR form ("10.0.0.0/8"), or host names libpcap resolves. */
  readonly hosts?: readonly string[]
  /** A pcap-filter(7) expression, ANDed with the rest. */
  readonly filter?: string
}


export interface HostMatch {
  /** Canonical text of the address or network ("10.0.0.0/8", "2001:db8::1"), or the host name. */
  readonly text: string
  readonly kind: 'address' | 'network' | 'name'
  /** Address bytes and prefix length for address and network. */
  readonly bytes?: Uint8Array
  readonly prefix?: number
}

/** A validated filter: the BPF expression libpcap/tcpdump get, and its parts. */
export interface CaptureFilter {
  /** The whole expression: always "tcp", then ports, hosts and the raw filter, ANDed. */
  readonly expression: string
  readonly ports: readonly PortRange[]
  readonly hosts: readonly HostMatch[]
  readonly raw: string | undefined
  /** True when rpcdiag can apply it to file packets itself: no raw expression and no host names. */
  readonly matchableWithoutLibpcap: boolean
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

function parseHost(text: string): Result<HostMatch, UsageError> {
  const t = text.trim()
  const p = parseIpPrefix(t)
  if (p !== undefined) return ok({text: p.text, kind: t.includes('/') ? 'network' : 'address', bytes: p.bytes, prefix: p.prefix})
  if (!t.includes('/') && isIP(t) === 0 && HOSTNAME.test(t) && !/^\d+(\.\d+)*$/.test(t)) return ok({text: t, kind: 'name'})
  return err(new UsageError('BAD_HOST', `invalid --host "${text}": expected an IPv4 or IPv6 address, a network like 10.0.0.0/8, or a host name`))
}

/**
 * Validate --port, --host and --filter and build the BPF expression:
 *
 *     tcp and (port 12345 or portrange 8000-8010) and (host 10.0.0.1 or net 10.1.0.0/16) and (<filter>)
 *
 * The raw filter is only checked for balance here; libpcap checks it (see compileFilter).
 */
export function buildFilter(spec: FilterSpec): Result<CaptureFilter, UsageError> {
  const parsed = parsePortRanges(spec.ports ?? [])
  if (!parsed.ok) return parsed
  const ports = parsed.value
  const hosts: HostMatch[] = []
  for (const h of spec.hosts ?? []) {
    const r = parseHost(h)
    if (!r.ok) return r
    hosts.push(r.value)
  }
  const raw = spec.filter?.trim() || undefined
  const parts = ['tcp']
  const any = (terms: string[]) => (terms.length === 1 ? terms[0] : `(${terms.join(' or ')})`)
  if (ports.length > 0) parts.push(any(ports.map((p) => (p.from === p.to ? `port ${p.from}` : `portrange ${p.from}-${p.to}`))))
  if (hosts.length > 0) parts.push(any(hosts.map((h) => (h.kind === 'network' ? `net ${h.text}` : `host ${h.text}`))))
  if (raw !== undefined) parts.push(`(${raw})`)
  return ok({
    expression: parts.join(' and '),
    ports,
    hosts,
    raw,
    matchableWithoutLibpcap: raw === undefined && hosts.every((h) => h.kind !== 'name'),
  })
}

/** True when the filter asks for nothing beyond "tcp". */
export function isTrivialFilter(f: CaptureFilter): boolean {
  return f.ports.length === 0 && f.hosts.length === 0 && f.raw === undefined
}

function hostMatches(h: HostMatch, text: string): boolean {
  return h.bytes !== undefined && h.prefix !== undefined && inIpPrefix(text, {text: h.text, bytes: h.bytes, prefix: h.prefix})
}

/**
 * The filter as a predicate over captured packets, for files when libpcap is
 * not at hand: TCP only, then ports and hosts. undefined when the filter needs
 * libpcap (a raw expression or a host name).
 */
export function packetMatcher(f: CaptureFilter): ((p: CapturedPacket) => boolean) | undefined {
  if (!f.matchableWithoutLibpcap) return undefined
  const {ports, hosts} = f
  return (p) => {
    if (hosts.length === 0 && ports.length > 0) {
      // Ports only, IPv4: read the few bytes needed without building a segment.
      const link = decodeLinkLayer(p.linkType, p.data)
      if (link.kind !== 'ip') return false
      const b = p.data
      const o = link.offset
      if (b.length > o + 20 && b[o] >> 4 === 4) {
        const ihl = (b[o] & 0x0f) * 4
        if (b[o + 9] !== IPPROTO_TCP || ((b[o + 6] << 8) | b[o + 7]) & 0x3fff || b.length < o + ihl + 4) return false
        return eitherInPortRanges((b[o + ihl] << 8) | b[o + ihl + 1], (b[o + ihl + 2] << 8) | b[o + ihl + 3], ports)
      }
    }
    const r = decodePacket(p.linkType, p.data, p)
    if (r.kind !== 'tcp') return false
    const s = r.segment
    if (ports.length > 0 && !eitherInPortRanges(s.srcPort, s.dstPort, ports)) return false
    if (hosts.length > 0 && !hosts.some((h) => hostMatches(h, s.src) || hostMatches(h, s.dst))) return false
    return true
  }
}
