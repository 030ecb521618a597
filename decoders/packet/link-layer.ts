import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LINKTYPE_RAW_DLT12,
  LINKTYPE_RAW_DLT14,
  unsupportedLinkTypeMessage,
} from './link-types.js'
import {packetError, type PacketError, skipped, type SkippedPacket} from './packet-result.js'

export const ETHERTYPE_IPV4 = 0x0800
export const ETHERTYPE_IPV6 = 0x86dd
/** 802.1Q customer VLAN tag. */
export const ETHERTYPE_VLAN = 0x8100
/** 802.1ad service VLAN tag (QinQ outer tag). */
export const ETHERTYPE_QINQ = 0x88a8
/** Pre-standard QinQ outer tag some switches still send. */
export const ETHERTYPE_QINQ_OLD = 0x9100

/** dst MAC (6) + src MAC (6) + EtherType (2). */
export const ETHERNET_HEADER = 14
/** Each 802.1Q tag: TCI (2) + the next EtherType (2). */
const VLAN_TAG = 4
/** Real networks stack at most two tags; more than this is a corrupt frame. */
export const MAX_VLAN_TAGS = 8
/** packet type (2) + ARPHRD (2) + address length (2) + address (8) + protocol (2). */
export const SLL_HEADER = 16
const SLL_PROTOCOL_AT = 14
/** protocol (2) + reserved (2) + ifindex (4) + ARPHRD (2) + packet type (1) + address length (1) + address (8). */
export const SLL2_HEADER = 20
const SLL2_PROTOCOL_AT = 0
/** The address family word of NULL / LOOP. */
export const NULL_HEADER = 4

/** BSD address families in the NULL / LOOP header. AF_INET is 2 everywhere; AF_INET6 differs per BSD. */
const AF_INET = 2
const AF_INET6_BSD = 24 // NetBSD, OpenBSD, BSD/OS
const AF_INET6_FREEBSD = 28
const AF_INET6_DARWIN = 30

/** Where the IP header starts, and which IP version the link layer announced (0: look at the version nibble). */
export interface LinkLayer {
  readonly kind: 'ip'
  readonly offset: number
  readonly version: 0 | 4 | 6
}

function truncated(offset: number, need: number, what: string, have: number): PacketError {
  return packetError('TRUNCATED', 'link', offset, `${what} needs ${need} bytes, ${have} captured`)
}

function byEtherType(etherType: number, offset: number): LinkLayer | SkippedPacket {
  if (etherType === ETHERTYPE_IPV4) return {kind: 'ip', offset, version: 4}
  if (etherType === ETHERTYPE_IPV6) return {kind: 'ip', offset, version: 6}
  return skipped('NOT_IP', etherType)
}

function byFamily(family: number): 0 | 4 | 6 {
  if (family === AF_INET) return 4
  if (family === AF_INET6_BSD || family === AF_INET6_FREEBSD || family === AF_INET6_DARWIN) return 6
  return 0
}

/**
 * Strip the link-layer header of one captured packet. Pure; never throws.
 */
export function decodeLinkLayer(linkType: number, b: Uint8Array): LinkLayer | SkippedPacket | PacketError {
  const len = b.length
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (len < ETHERNET_HEADER) return truncated(0, ETHERNET_HEADER, 'Ethernet header', len)
      let typeAt = 12
      let etherType = (b[typeAt] << 8) | b[typeAt + 1]
      let tags = 0
      while (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_OLD) {
        if (++tags > MAX_VLAN_TAGS) {
          return packetError('BAD_LINK_HEADER', 'link', typeAt, `more than ${MAX_VLAN_TAGS} VLAN tags`)
        }
        typeAt += VLAN_TAG
        if (len < typeAt + 2) return truncated(typeAt - 2, VLAN_TAG, 'VLAN tag', len - typeAt + 2)
        etherType = (b[typeAt] << 8) | b[typeAt + 1]
      }
      return byEtherType(etherType, typeAt + 2)
    }
    case LINKTYPE_LINUX_SLL: {
      if (len < SLL_HEADER) return truncated(0, SLL_HEADER, 'Linux cooked (SLL) header', len)
      return byEtherType((b[SLL_PROTOCOL_AT] << 8) | b[SLL_PROTOCOL_AT + 1], SLL_HEADER)
    }
    case LINKTYPE_LINUX_SLL2: {
      if (len < SLL2_HEADER) return truncated(0, SLL2_HEADER, 'Linux cooked (SLL2) header', len)
      return byEtherType((b[SLL2_PROTOCOL_AT] << 8) | b[SLL2_PROTOCOL_AT + 1], SLL2_HEADER)
    }
    case LINKTYPE_NULL: {
      if (len < NULL_HEADER) return truncated(0, NULL_HEADER, 'loopback (NULL) header', len)
      // Host byte order of the machine that captured: families are small, so a
      // value with its low half zero was written big-endian.
      let family = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0
      if ((family & 0xffff) === 0) family = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0
      const version = byFamily(family)
      return version === 0 ? skipped('NOT_IP', family) : {kind: 'ip', offset: NULL_HEADER, version}
    }
    case LINKTYPE_LOOP: {
      if (len < NULL_HEADER) return truncated(0, NULL_HEADER, 'loopback (LOOP) header', len)
      const family = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0
      const version = byFamily(family)
      return version === 0 ? skipped('NOT_IP', family) : {kind: 'ip', offset: NULL_HEADER, version}
    }
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_DLT12:
    case LINKTYPE_RAW_DLT14:
      return {kind: 'ip', offset: 0, version: 0}
    case LINKTYPE_IPV4:
      return {kind: 'ip', offset: 0, version: 4}
    case LINKTYPE_IPV6:
      return {kind: 'ip', offset: 0, version: 6}
    default:
      return packetError('UNSUPPORTED_LINK_TYPE', 'link', 0, unsupportedLinkTypeMessage(linkType))
  }
}
