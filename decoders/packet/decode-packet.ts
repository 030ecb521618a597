import type {CapturedPacket, PacketMeta} from './captured-packet.js'
import {decodeIpv4, decodeIpv6, type IpLayer, IPPROTO_TCP} from './ip.js'
import {decodeLinkLayer} from './link-layer.js'
import {packetError, type PacketError, type PacketResult, skipped, type SkippedPacket} from './packet-result.js'
import type {TcpSegment} from './segment.js'
import {decodeTcpHeader} from './tcp.js'

const EMPTY_PAYLOAD = new Uint8Array(0)

/**
 * Decode one captured packet down to its TCP segment: link layer -> IPv4/IPv6
 * -> TCP. Pure: never throws on wire data and never copies; the segment's
 * payload is a view into `bytes`.
 *
 * The result is a TCP segment, a packet skipped with its reason (not IP, not
 * TCP, an IP fragment), or an error with a stable code, the layer and the offset.
 */
export function decodePacket(linkType: number, bytes: Uint8Array, meta: PacketMeta): PacketResult {
  const link = decodeLinkLayer(linkType, bytes)
  if (link.kind !== 'ip') return link
  const ip = decodeIp(bytes, link.offset, link.version, meta.origLen === undefined ? false : meta.origLen <= bytes.length)
  if (ip.kind !== 'ip') return ip
  if (ip.protocol !== IPPROTO_TCP) return skipped('NOT_TCP', ip.protocol)
  const tcp = decodeTcpHeader(bytes, ip.offset, ip.end)
  if ('kind' in tcp) return tcp
  const capturedEnd = ip.end < bytes.length ? ip.end : bytes.length
  // Most segments are bare ACKs: one shared empty view spares an allocation for each.
  const payload = capturedEnd > tcp.payloadAt ? bytes.subarray(tcp.payloadAt, capturedEnd) : EMPTY_PAYLOAD
  const wire = ip.end - tcp.payloadAt
  const segment: TcpSegment = {
    tsSec: meta.tsSec,
    tsNsec: meta.tsNsec,
    ipVersion: ip.version,
    src: ip.src,
    dst: ip.dst,
    srcPort: tcp.srcPort,
    dstPort: tcp.dstPort,
    seq: tcp.seq,
    ack: tcp.ack,
    flags: tcp.flags,
    window: tcp.window,
    options: tcp.options,
    payload,
    wireLength: wire > payload.length ? wire : undefined,
  }
  return {kind: 'tcp', segment}
}

/** decodePacket for a packet from a capture source. */
export function decodeCapturedPacket(p: CapturedPacket): PacketResult {
  return decodePacket(p.linkType, p.data, p)
}

function decodeIp(b: Uint8Array, o: number, announced: 0 | 4 | 6, whole: boolean): IpLayer | SkippedPacket | PacketError {
  let version = announced
  if (version === 0) {
    // Raw IP: the version nibble is all there is.
    if (b.length <= o) return packetError('TRUNCATED', 'link', o, 'raw IP packet with no bytes captured')
    const nibble = b[o] >> 4
    if (nibble !== 4 && nibble !== 6) return packetError('BAD_IP_VERSION', 'link', o, `raw IP packet with version ${nibble}`)
    version = nibble
  }
  return version === 4 ? decodeIpv4(b, o, whole) : decodeIpv6(b, o, whole)
}

/**
 * The wire length of a packet whose capture was cut short, from its IP header
 * (link header + IPv4 total length or IPv6 40 + payload length); undefined
 * when the headers do not say. Live capture through `cap` reports only that a
 * packet was truncated, not how long it was.
 */
export function wireLengthFromHeaders(linkType: number, bytes: Uint8Array): number | undefined {
  const link = decodeLinkLayer(linkType, bytes)
  if (link.kind !== 'ip') return undefined
  const o = link.offset
  if (bytes.length < o + 6) return undefined
  const version = bytes[o] >> 4
  if (version === 4) {
    const total = (bytes[o + 2] << 8) | bytes[o + 3]
    return total === 0 ? undefined : o + total
  }
  if (version === 6) {
    const payload = (bytes[o + 4] << 8) | bytes[o + 5]
    return payload === 0 ? undefined : o + 40 + payload
  }
  return undefined
}
