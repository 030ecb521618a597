// What the capture side hands to TCP reassembly: one TCP segment, decoded from a
// captured packet (link layer -> IPv4/IPv6 -> TCP). Payload is a view into the
// captured packet, never a copy.

/** TCP flag bits, as in the TCP header's flags byte. */
export const TCP_FIN = 0x01
export const TCP_SYN = 0x02
export const TCP_RST = 0x04
export const TCP_PSH = 0x08
export const TCP_ACK = 0x10
export const TCP_URG = 0x20

export interface TcpOptions {
  mss?: number
  windowScale?: number
  sackPermitted?: boolean
  /** TSval / TSecr from the timestamps option. */
  tsVal?: number
  tsEcr?: number
  /** SACK blocks as [left, right) sequence pairs. */
  sack?: Array<[number, number]>
}

export interface TcpSegment {
  /** Capture time: whole seconds since the epoch, and nanoseconds within the second. */
  readonly tsSec: number
  readonly tsNsec: number
  readonly ipVersion: 4 | 6
  /** Addresses in their usual text form (dotted quad, RFC 5952 IPv6). */
  readonly src: string
  readonly dst: string
  readonly srcPort: number
  readonly dstPort: number
  /** Sequence and acknowledgement numbers, unsigned 32-bit. */
  readonly seq: number
  readonly ack: number
  /** TCP_* bits. */
  readonly flags: number
  readonly window: number
  readonly options: TcpOptions
  /** TCP payload bytes, a view into the captured packet. */
  readonly payload: Uint8Array
  /**
   * The payload length on the wire, set only when the capture kept fewer bytes
   * than the packet carried (snaplen): the segment covers seq .. seq + wireLength
   * in sequence space, and the bytes after payload.length are unknown.
   */
  readonly wireLength?: number
}
