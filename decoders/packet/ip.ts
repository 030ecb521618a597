import {formatIpv4, formatIpv6} from './ip-address.js'
import {packetError, type PacketError, skipped, type SkippedPacket} from './packet-result.js'

export const IPPROTO_TCP = 6
/** IPv4 header without options: 5 words. */
export const IPV4_MIN_HEADER = 20
export const IPV6_HEADER = 40
const IPV4_MF = 0x2000 // more fragments
const IPV4_FRAG_OFFSET_MASK = 0x1fff // in 8-byte units

// IPv6 extension headers that rpcdiag walks past (RFC 8200 4.1, RFC 5533, RFC 7401).
const IPV6_HOP_BY_HOP = 0
const IPV6_ROUTING = 43
const IPV6_FRAGMENT = 44
const IPV6_ESP = 50 // encrypted: the rest cannot be read
const IPV6_AH = 51
const IPV6_NO_NEXT = 59
const IPV6_DEST_OPTS = 60
const IPV6_MOBILITY = 135
const IPV6_HIP = 139
const IPV6_SHIM6 = 140
/** A legitimate chain has a handful of headers; a loop of them is an attack or garbage. */
export const MAX_IPV6_EXTENSION_HEADERS = 16

/** An IP header walked up to its transport payload. */
export interface IpLayer {
  readonly kind: 'ip'
  readonly version: 4 | 6
  readonly src: string
  readonly dst: string
  /** IP protocol of the transport payload (6 = TCP). */
  readonly protocol: number
  /** Offset of the transport header in the captured bytes. */
  readonly offset: number
  /** Where the IP packet ends on the wire; beyond the captured bytes when the capture was cut short (snaplen). */
  readonly end: number
}

/**
 * IPv4 at b[o..]. `whole` says the capture holds the whole packet (caplen ==
 * wire length): then a total length beyond the captured bytes is an error, not
 * a snaplen cut.
 */
export function decodeIpv4(b: Uint8Array, o: number, whole: boolean): IpLayer | SkippedPacket | PacketError {
  if (b.length < o + IPV4_MIN_HEADER) {
    return packetError('TRUNCATED', 'ipv4', o, `IPv4 header needs ${IPV4_MIN_HEADER} bytes, ${b.length - o} captured`)
  }
  const version = b[o] >> 4
  if (version !== 4) return packetError('BAD_IP_VERSION', 'ipv4', o, `expected IP version 4, got ${version}`)
  const ihl = (b[o] & 0x0f) * 4
  if (ihl < IPV4_MIN_HEADER) return packetError('BAD_IP_HEADER_LENGTH', 'ipv4', o, `IPv4 header length ${ihl} is below 20`)
  if (b.length < o + ihl) {
    return packetError('TRUNCATED', 'ipv4', o, `IPv4 header with options needs ${ihl} bytes, ${b.length - o} captured`)
  }
  const totalLength = (b[o + 2] << 8) | b[o + 3]
  let end: number
  if (totalLength === 0) {
    // Outgoing packets captured before TCP segmentation offload carry total
    // length 0 (Wireshark: "assuming TSO"): the capture is the packet.
    end = b.length
  } else {
    if (totalLength < ihl) {
      return packetError('BAD_IP_TOTAL_LENGTH', 'ipv4', o + 2, `IPv4 total length ${totalLength} is below its header length ${ihl}`)
    }
    end = o + totalLength
    if (whole && end > b.length) {
      return packetError('BAD_IP_TOTAL_LENGTH', 'ipv4', o + 2, `IPv4 total length ${totalLength} exceeds the ${b.length - o} bytes on the wire`)
    }
  }
  const protocol = b[o + 9]
  const src = formatIpv4(b, o + 12)
  const dst = formatIpv4(b, o + 16)
  const frag = (b[o + 6] << 8) | b[o + 7]
  if ((frag & (IPV4_MF | IPV4_FRAG_OFFSET_MASK)) !== 0) {
    return skipped('IP_FRAGMENT', protocol, {
      ipVersion: 4,
      src,
      dst,
      id: (b[o + 4] << 8) | b[o + 5],
      offset: (frag & IPV4_FRAG_OFFSET_MASK) * 8,
      more: (frag & IPV4_MF) !== 0,
      protocol,
    })
  }
  return {kind: 'ip', version: 4, src, dst, protocol, offset: o + ihl, end}
}

/** IPv6 at b[o..], walking extension headers up to the transport header. */
export function decodeIpv6(b: Uint8Array, o: number, whole: boolean): IpLayer | SkippedPacket | PacketError {
  if (b.length < o + IPV6_HEADER) {
    return packetError('TRUNCATED', 'ipv6', o, `IPv6 header needs ${IPV6_HEADER} bytes, ${b.length - o} captured`)
  }
  const version = b[o] >> 4
  if (version !== 6) return packetError('BAD_IP_VERSION', 'ipv6', o, `expected IP version 6, got ${version}`)
  const payloadLength = (b[o + 4] << 8) | b[o + 5]
  let next = b[o + 6]
  // Payload length 0 with something after the header: a jumbogram or a
  // pre-segmentation-offload capture; the capture is the packet.
  const end = payloadLength === 0 && next !== IPV6_NO_NEXT ? b.length : o + IPV6_HEADER + payloadLength
  if (whole && end > b.length) {
    return packetError('BAD_IP_TOTAL_LENGTH', 'ipv6', o + 4, `IPv6 payload length ${payloadLength} exceeds the ${b.length - o - IPV6_HEADER} bytes on the wire`)
  }
  const src = formatIpv6(b, o + 8)
  const dst = formatIpv6(b, o + 24)
  let at = o + IPV6_HEADER
  for (let n = 0; ; n++) {
    if (n > MAX_IPV6_EXTENSION_HEADERS) {
      return packetError('BAD_EXTENSION_HEADER', 'ipv6', at, `more than ${MAX_IPV6_EXTENSION_HEADERS} IPv6 extension headers`)
    }
    let len: number
    switch (next) {
      case IPV6_HOP_BY_HOP:
      case IPV6_ROUTING:
      case IPV6_DEST_OPTS:
      case IPV6_MOBILITY:
      case IPV6_HIP:
      case IPV6_SHIM6:
        if (b.length < at + 2) return extTruncated(at, b.length)
        len = (b[at + 1] + 1) * 8 // Hdr Ext Len: 8-octet units, not counting the first 8
        break
      case IPV6_AH:
        if (b.length < at + 2) return extTruncated(at, b.length)
        len = (b[at + 1] + 2) * 4 // Payload Len: 4-octet units, minus 2 (RFC 4302)
        break
      case IPV6_FRAGMENT: {
        len = 8
        if (b.length < at + len) return extTruncated(at, b.length)
        const offMore = (b[at + 2] << 8) | b[at + 3]
        const fragOffset = offMore & 0xfff8 // 13 bits in 8-octet units, already shifted left 3
        const more = (offMore & 1) !== 0
        if (fragOffset !== 0 || more) {
          return skipped('IP_FRAGMENT', b[at], {
            ipVersion: 6,
            src,
            dst,
            id: ((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0,
            offset: fragOffset,
            more,
            protocol: b[at],
          })
        }
        // An atomic fragment (offset 0, no more): the whole packet is here.
        break
      }
      case IPV6_ESP:
      case IPV6_NO_NEXT:
        return skipped('NOT_TCP', next)
      default:
        // TCP, or any upper-layer protocol: the chain ends here.
        return {kind: 'ip', version: 6, src, dst, protocol: next, offset: at, end}
    }
    if (at + len > end) {
      return packetError('BAD_EXTENSION_HEADER', 'ipv6', at, `IPv6 extension header ${next} of ${len} bytes runs past the payload`)
    }
    if (b.length < at + len) return extTruncated(at, b.length)
    next = b[at]
    at += len
  }
}

function extTruncated(at: number, have: number): PacketError {
  return packetError('TRUNCATED', 'ipv6', at, `IPv6 extension header at ${at} cut short: ${have} bytes captured`)
}
