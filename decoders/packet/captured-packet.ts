/**
 * One captured packet as every capture source hands it out (a pcap or pcapng
 * record, libpcap live, tcpdump's pcap stream): the link-layer bytes with
 * their link type and capture time.
 */
export interface CapturedPacket {
  /** LINKTYPE_* of the link-layer header at data[0]. */
  readonly linkType: number
  /** Capture time: whole seconds since the epoch, and nanoseconds within the second. */
  readonly tsSec: number
  readonly tsNsec: number
  /** Length of the packet on the wire; data.length (the captured length) may be less (snaplen). */
  readonly origLen: number
  /** The captured bytes, a view into the chunk they were read from. */
  readonly data: Uint8Array
  /** pcapng interface index (across sections), 0 for classic pcap and live captures. */
  readonly interfaceId: number
}

/** What decodePacket needs besides the bytes: the time, and the wire length when known. */
export interface PacketMeta {
  readonly tsSec: number
  readonly tsNsec: number
  /** When given and equal to the captured length, IP lengths beyond the captured bytes are errors, not a snaplen cut. */
  readonly origLen?: number
}
