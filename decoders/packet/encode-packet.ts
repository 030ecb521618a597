import {parseIpv4, parseIpv6} from './ip-address.js'
import {ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN} from './link-layer.js'
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  linkTypeName,
} from './link-types.js'
import {TCP_ACK, TCP_PSH, type TcpOptions} from './segment.js'

/** An IPv6 extension header to put between the fixed header and TCP. */
export interface Ipv6ExtensionSpec {
  /** Next-header value that announces it: 0 hop-by-hop, 43 routing, 60 destination options, 44 fragment. */
  readonly type: number
  /** Option bytes after the 2-byte (next, length) prefix; padded to the header's unit. */
  readonly body?: Uint8Array
}

/** A TCP/IP packet to build, for tests, fixtures and benchmarks. */
export interface PacketSpec {
  /** IPv4 or IPv6 addresses; both of one family. */
  readonly src: string
  readonly dst: string
  readonly srcPort: number
  readonly dstPort: number
  readonly seq?: number
  readonly ack?: number
  /** TCP_* bits; default ACK, plus PSH when there is a payload. */
  readonly flags?: number
  readonly window?: number
  readonly options?: TcpOptions
  readonly payload?: Uint8Array
  /** Default LINKTYPE_ETHERNET. */
  readonly linkType?: number
  /** 802.1Q VLAN ids, outermost first (Ethernet only). */
  readonly vlan?: readonly number[]
  /** BSD NULL header byte order; default little-endian, like a capture from an x86 BSD or macOS. */
  readonly nullBigEndian?: boolean
  readonly ipId?: number
  readonly ttl?: number
  readonly ipv6Extensions?: readonly Ipv6ExtensionSpec[]
  /** IPv4 options bytes (padded to 4). */
  readonly ipv4Options?: Uint8Array
  /** Compute IPv4 and TCP checksums (default true); false leaves them 0 like a capture with checksum offload. */
  readonly checksums?: boolean
}

const SRC_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
const DST_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02]

/** TCP options as Linux lays them out: MSS, SACK-permitted, timestamps, window scale, SACK, NOP-padded. */
export function encodeTcpOptions(o: TcpOptions): Uint8Array {
  const out: number[] = []
  if (o.mss !== undefined) out.push(2, 4, o.mss >> 8, o.mss & 0xff)
  if (o.sackPermitted) out.push(4, 2)
  if (o.tsVal !== undefined || o.tsEcr !== undefined) {
    if (o.sackPermitted === undefined) out.push(1, 1)
    out.push(8, 10, ...u32(o.tsVal ?? 0), ...u32(o.tsEcr ?? 0))
  }
  if (o.windowScale !== undefined) out.push(1, 3, 3, o.windowScale)
  if (o.sack !== undefined && o.sack.length > 0) {
    out.push(1, 1, 5, 2 + 8 * o.sack.length)
    for (const [l, r] of o.sack) out.push(...u32(l), ...u32(r))
  }
  while (out.length % 4 !== 0) out.push(1)
  if (out.length > 40) throw new RangeError(`TCP options of ${out.length} bytes exceed 40`)
  return Uint8Array.from(out)
}

/** Build the bytes of one captured packet: link header, IPv4/IPv6, TCP, payload. */
export function encodePacket(spec: PacketSpec): Buffer {
  const v4src = parseIpv4(spec.src)
  const v4dst = parseIpv4(spec.dst)
  const v6src = v4src ? undefined : parseIpv6(spec.src)
  const v6dst = v4dst ? undefined : parseIpv6(spec.dst)
  const isV4 = v4src !== undefined && v4dst !== undefined
  if (!isV4 && (v6src === undefined || v6dst === undefined)) {
    throw new RangeError(`addresses ${spec.src} and ${spec.dst} are not both IPv4 or both IPv6`)
  }
  const payload = spec.payload ?? new Uint8Array(0)
  const tcpOpts = encodeTcpOptions(spec.options ?? {})
  const tcpLen = 20 + tcpOpts.length
  const ipv4Opts = spec.ipv4Options ?? new Uint8Array(0)
  if (ipv4Opts.length % 4 !== 0 || ipv4Opts.length > 40) throw new RangeError('IPv4 options must be a multiple of 4, at most 40 bytes')
  const exts = (spec.ipv6Extensions ?? []).map(encodeIpv6Extension)
  const extLen = exts.reduce((n, e) => n + e.length, 0)
  const ipHeaderLen = isV4 ? 20 + ipv4Opts.length : 40 + extLen
  const linkType = spec.linkType ?? LINKTYPE_ETHERNET
  const link = linkHeader(linkType, isV4, spec)
  const total = link.length + ipHeaderLen + tcpLen + payload.length
  const b = Buffer.alloc(total)
  b.set(link, 0)
  const ip = link.length
  const checksums = spec.checksums ?? true
  if (isV4) {
    const ipTotal = ipHeaderLen + tcpLen + payload.length
    if (ipTotal > 0xffff) throw new RangeError(`IPv4 packet of ${ipTotal} bytes exceeds 65535`)
    b[ip] = 0x40 | (ipHeaderLen / 4)
    b.writeUInt16BE(ipTotal, ip + 2)
    b.writeUInt16BE((spec.ipId ?? 0) & 0xffff, ip + 4)
    b.writeUInt16BE(0x4000, ip + 6) // DF, as Linux sends TCP
    b[ip + 8] = spec.ttl ?? 64
    b[ip + 9] = 6
    b.set(v4src!, ip + 12)
    b.set(v4dst!, ip + 16)
    b.set(ipv4Opts, ip + 20)
    if (checksums) b.writeUInt16BE(finish(sum(b, ip, ipHeaderLen, 0)), ip + 10)
  } else {
    const ipPayload = extLen + tcpLen + payload.length
    if (ipPayload > 0xffff) throw new RangeError(`IPv6 payload of ${ipPayload} bytes exceeds 65535`)
    b.writeUInt32BE(0x60000000, ip)
    b.writeUInt16BE(ipPayload, ip + 4)
    b[ip + 6] = exts.length > 0 ? spec.ipv6Extensions![0].type : 6
    b[ip + 7] = spec.ttl ?? 64
    b.set(v6src!, ip + 8)
    b.set(v6dst!, ip + 24)
    let at = ip + 40
    exts.forEach((e, i) => {
      b.set(e, at)
      b[at] = i + 1 < exts.length ? spec.ipv6Extensions![i + 1].type : 6
      at += e.length
    })
  }
  const t = ip + ipHeaderLen
  b.writeUInt16BE(spec.srcPort, t)
  b.writeUInt16BE(spec.dstPort, t + 2)
  b.writeUInt32BE((spec.seq ?? 0) >>> 0, t + 4)
  b.writeUInt32BE((spec.ack ?? 0) >>> 0, t + 8)
  b[t + 12] = (tcpLen / 4) << 4
  b[t + 13] = spec.flags ?? (payload.length > 0 ? TCP_ACK | TCP_PSH : TCP_ACK)
  b.writeUInt16BE(spec.window ?? 64, t + 14)
  b.set(tcpOpts, t + 20)
  b.set(payload, t + tcpLen)
  if (checksums) {
    const segLen = tcpLen + payload.length
    let s = 0
    if (isV4) {
      s = sum(b, ip + 12, 8, 0) + 6 + segLen
    } else {
      s = sum(b, ip + 8, 32, 0) + 6 + segLen
    }
    b.writeUInt16BE(finish(sum(b, t, segLen, s)), t + 16)
  }
  return b
}

function linkHeader(linkType: number, isV4: boolean, spec: PacketSpec): Uint8Array {
  const etherType = isV4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      const vlan = spec.vlan ?? []
      const h = Buffer.alloc(14 + 4 * vlan.length)
      h.set(DST_MAC, 0)
      h.set(SRC_MAC, 6)
      let at = 12
      for (const id of vlan) {
        h.writeUInt16BE(ETHERTYPE_VLAN, at)
        h.writeUInt16BE(id & 0x0fff, at + 2)
        at += 4
      }
      h.writeUInt16BE(etherType, at)
      return h
    }
    case LINKTYPE_LINUX_SLL: {
      const h = Buffer.alloc(16)
      h.writeUInt16BE(0, 0) // packet type: to us
      h.writeUInt16BE(772, 2) // ARPHRD_LOOPBACK
      h.writeUInt16BE(6, 4)
      h.writeUInt16BE(etherType, 14)
      return h
    }
    case LINKTYPE_LINUX_SLL2: {
      const h = Buffer.alloc(20)
      h.writeUInt16BE(etherType, 0)
      h.writeUInt32BE(1, 4) // ifindex of lo
      h.writeUInt16BE(772, 8) // ARPHRD_LOOPBACK
      h[10] = 0 // packet type: to us
      h[11] = 6
      return h
    }
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      const family = isV4 ? 2 : 30 // AF_INET, AF_INET6 on Darwin
      const h = Buffer.alloc(4)
      if (linkType === LINKTYPE_LOOP || spec.nullBigEndian) h.writeUInt32BE(family, 0)
      else h.writeUInt32LE(family, 0)
      return h
    }
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return new Uint8Array(0)
    default:
      throw new RangeError(`cannot build link type ${linkType} (${linkTypeName(linkType)})`)
  }
}

function encodeIpv6Extension(e: Ipv6ExtensionSpec): Uint8Array {
  const body = e.body ?? new Uint8Array(0)
  if (e.type === 44) {
    // Fragment header: fixed 8 bytes; body (6 bytes) holds offset/flags and id.
    const h = new Uint8Array(8)
    h.set(body.subarray(0, 6), 2)
    return h
  }
  const unit = e.type === 51 ? 4 : 8
  let len = 2 + body.length
  while (len % unit !== 0 || len < 8) len++
  const h = new Uint8Array(len)
  h.set(body, 2)
  h[1] = e.type === 51 ? len / 4 - 2 : len / 8 - 1
  return h
}

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]
}

/** Ones'-complement sum of 16-bit words (RFC 1071), not yet folded. */
function sum(b: Uint8Array, at: number, len: number, acc: number): number {
  let s = acc
  const end = at + len - 1
  let i = at
  for (; i < end; i += 2) s += (b[i] << 8) | b[i + 1]
  if (i === end) s += b[i] << 8
  return s
}

function finish(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000)
  return ~s & 0xffff
}
