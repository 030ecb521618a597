import type {TcpSegment} from './segment.js'

/** Stable codes for packets that cannot be decoded. Tests and tooling match on these, never on text. */
export type PacketErrorCode =
  | 'UNSUPPORTED_LINK_TYPE' // no decoder for this link-layer header type
  | 'TRUNCATED' // the captured bytes end inside a header (snaplen, or a cut record)
  | 'BAD_LINK_HEADER' // a link-layer header that contradicts itself (e.g. too many VLAN tags)
  | 'BAD_IP_VERSION' // the version nibble does not match what the link layer announced
  | 'BAD_IP_HEADER_LENGTH' // IPv4 IHL below 5 words
  | 'BAD_IP_TOTAL_LENGTH' // IPv4 total length below the header, or above a packet that was captured whole
  | 'BAD_EXTENSION_HEADER' // an IPv6 extension header runs past the payload, or the chain is too long
  | 'BAD_TCP_DATA_OFFSET' // TCP data offset below 5 words or past the end of the IP payload

export type PacketLayer = 'link' | 'ipv4' | 'ipv6' | 'tcp'

export interface PacketError {
  readonly kind: 'error'
  readonly code: PacketErrorCode
  readonly layer: PacketLayer
  /** Offset into the captured bytes of the header (or field) at fault. */
  readonly offset: number
  readonly message: string
}

/**
 * A packet that is fine but carries no TCP to reassemble:
 * - NOT_IP: the link layer carries something else (ARP, LLDP...); value is the EtherType or address family.
 * - NOT_TCP: IP but another protocol (UDP, ICMP, ESP...); value is the IP protocol / next header.
 * - IP_FRAGMENT: an IPv4 or IPv6 fragment; rpcdiag does not reassemble IP fragments (TCP
 *   normally avoids them with path MTU discovery), so it reports them.
 */
export type SkipReason = 'NOT_IP' | 'NOT_TCP' | 'IP_FRAGMENT'

export interface IpFragment {
  readonly ipVersion: 4 | 6
  readonly src: string
  readonly dst: string
  /** IPv4 identification or IPv6 fragment header identification. */
  readonly id: number
  /** Fragment offset in bytes. */
  readonly offset: number
  /** More-fragments flag. */
  readonly more: boolean
  /** The protocol the fragments carry (6 for TCP). */
  readonly protocol: number
}

export interface SkippedPacket {
  readonly kind: 'skip'
  readonly reason: SkipReason
  readonly value: number
  readonly fragment?: IpFragment
}

export interface TcpPacket {
  readonly kind: 'tcp'
  readonly segment: TcpSegment
}

/** What decodePacket makes of one captured packet. */
export type PacketResult = TcpPacket | SkippedPacket | PacketError

export function packetError(code: PacketErrorCode, layer: PacketLayer, offset: number, message: string): PacketError {
  return {kind: 'error', code, layer, offset, message}
}

export function skipped(reason: SkipReason, value: number, fragment?: IpFragment): SkippedPacket {
  return fragment === undefined ? {kind: 'skip', reason, value} : {kind: 'skip', reason, value, fragment}
}
