import type {CapturedPacket, PacketMeta} from './captured-packet.js'
import {decodeIpv4, decodeIpv6, type IpLayer, IPPROTO_TCP, IPV4_MIN_HEADER} from './ip.js'
import {formatIpv4} from './ip-address.js'
import {decodeLinkLayer, ETHERNET_HEADER, SLL2_HEADER, SLL_HEADER} from './link-layer.js'
import {LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2} from './link-types.js'
import {packetError, type PacketError, type PacketResult, skipped, type SkippedPacket, type TcpPacket} from './packet-result.js'
import type {TcpSegment} from './segment.js'
import {decodeTcpHeader, decodeTcpOptions, TCP_MIN_HEADER} from './tcp.js'

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
  return plainTcpIpv4(linkType, bytes, meta) ?? decodeByLayers(linkType, bytes, meta)
}

/** decodePacket one layer at a time (what the one-pass common case must agree with, byte for byte). */
export function decodeByLayers(linkType: number, bytes: Uint8Array, meta: PacketMeta): PacketResult {
  const link = decodeLinkLayer(linkType, bytes)
  if (link.kind !== 'ip') return link
  const ip = decodeIp(bytes, link.offset, link.version, meta.origLen === undefined ? false : meta.origLen <= bytes.length)
  if (ip.kind !== 'ip') return ip
  if (ip.protocol !== IPPROTO_TCP) return skipped('NOT_TCP', ip.protocol)
  const tcp = decodeTcpHeader(bytes, ip.offset, ip.end)
  if ('kind' in tcp) return tcp
  const capturedEnd = ip.end < bytes.length ? ip.end : bytes.length
  // Most segments are bare ACKs: one shared empty view spares an allocation for each.
  const payload = capturedEnd > tcp.payloadAt ? new Uint8Array(bytes.buffer, bytes.byteOffset + tcp.payloadAt, capturedEnd - tcp.payloadAt) : EMPTY_PAYLOAD
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

/** Ethernet, Linux cooked (SLL, SLL2) and raw captures: IPv4 (0x0800 in the link header) starts here. */
function ipv4At(linkType: number, b: Uint8Array): number {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return b.length > 13 && b[12] === 0x08 && b[13] === 0x00 ? ETHERNET_HEADER : -1
    case LINKTYPE_LINUX_SLL:
      return b.length > 15 && b[14] === 0x08 && b[15] === 0x00 ? SLL_HEADER : -1
    case LINKTYPE_LINUX_SLL2:
      return b.length > 1 && b[0] === 0x08 && b[1] === 0x00 ? SLL2_HEADER : -1
    default:
      return -1
  }
}

/**
 * The common case in one pass, with no object per layer (about a third of the
 * per-packet cost of a capture read): an unfragmented IPv4 TCP segment whose
 * headers are all well formed, behind an Ethernet or Linux cooked header.
 * Anything else (VLAN tags, IPv6, fragments, a length that does not add up,
 * TSO's total length 0) returns undefined and takes the layer-by-layer path,
 * which gives the same segment and every skip reason and error.
 */
function plainTcpIpv4(linkType: number, b: Uint8Array, meta: PacketMeta, slot?: SegmentSlot): PacketResult | undefined {
  const o = ipv4At(linkType, b)
  if (o < 0) return undefined
  const len = b.length
  if (len < o + IPV4_MIN_HEADER || b[o] >> 4 !== 4) return undefined
  const ihl = (b[o] & 0x0f) * 4
  const total = (b[o + 2] << 8) | b[o + 3]
  if (ihl < IPV4_MIN_HEADER || len < o + ihl || total < ihl) return undefined
  const end = o + total
  if (end > len && meta.origLen !== undefined && meta.origLen <= len) return undefined
  // Not TCP, or a fragment (MF set or an offset).
  if (b[o + 9] !== IPPROTO_TCP || (((b[o + 6] << 8) | b[o + 7]) & 0x3fff) !== 0) return undefined
  const t = o + ihl
  if (end - t < TCP_MIN_HEADER || len < t + TCP_MIN_HEADER) return undefined
  const dataOffset = (b[t + 12] >> 4) * 4
  if (dataOffset < TCP_MIN_HEADER || t + dataOffset > end || len < t + dataOffset) return undefined
  const payloadAt = t + dataOffset
  const capturedEnd = end < len ? end : len
  // The constructor makes the view in half the time subarray takes.
  const payload = capturedEnd > payloadAt ? new Uint8Array(b.buffer, b.byteOffset + payloadAt, capturedEnd - payloadAt) : EMPTY_PAYLOAD
  const wire = end - payloadAt
  const s = slot === undefined ? blankSegment() : slot.segment
  s.tsSec = meta.tsSec
  s.tsNsec = meta.tsNsec
  s.ipVersion = 4
  s.src = formatIpv4(b, o + 12)
  s.dst = formatIpv4(b, o + 16)
  s.srcPort = (b[t] << 8) | b[t + 1]
  s.dstPort = (b[t + 2] << 8) | b[t + 3]
  s.seq = ((b[t + 4] << 24) | (b[t + 5] << 16) | (b[t + 6] << 8) | b[t + 7]) >>> 0
  s.ack = ((b[t + 8] << 24) | (b[t + 9] << 16) | (b[t + 10] << 8) | b[t + 11]) >>> 0
  s.flags = b[t + 13]
  s.window = (b[t + 14] << 8) | b[t + 15]
  s.options = decodeTcpOptions(b, t + TCP_MIN_HEADER, payloadAt, slot?.timestamps)
  s.payload = payload
  s.wireLength = wire > payload.length ? wire : undefined
  return slot === undefined ? {kind: 'tcp', segment: s} : slot.result
}

type SegmentFields = {-readonly [K in keyof TcpSegment]: TcpSegment[K]}

/** A segment's fields in the order decodeByLayers writes them (one object shape for both paths). */
function blankSegment(): SegmentFields {
  return {tsSec: 0, tsNsec: 0, ipVersion: 4, src: '', dst: '', srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, options: {}, payload: EMPTY_PAYLOAD, wireLength: undefined}
}

/**
 * One result and one segment (and its timestamps option) that
 * decodeCapturedPacketReusing fills in again for each packet, for a loop that
 * is done with a segment before it decodes the next (sniff's capture loop: a
 * result, a segment and its options per packet were a sixth of what reading a
 * capture allocated). Only the one-pass common case reuses them; any other
 * packet gets objects of its own.
 */
export class SegmentSlot {
  readonly segment: SegmentFields = blankSegment()
  /** The options of nearly every segment after a handshake (see decodeTcpOptions). */
  readonly timestamps = {tsVal: 0, tsEcr: 0}
  readonly result: TcpPacket = {kind: 'tcp', segment: this.segment}
}

/**
 * decodeCapturedPacket, answering the common case in `slot`'s objects: the
 * result is only valid until the next call with the same slot.
 */
export function decodeCapturedPacketReusing(p: CapturedPacket, slot: SegmentSlot): PacketResult {
  return plainTcpIpv4(p.linkType, p.data, p, slot) ?? decodeByLayers(p.linkType, p.data, p)
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
