// Link-layer header types as they appear in pcap file headers, pcapng interface
// blocks and libpcap's pcap_datalink(). Numbers are the LINKTYPE_* registry
// values (tcpdump.org/linktypes.html), not the platform DLT_* values.

/** BSD loopback: a 4-byte address family in the byte order of the capturing host. */
export const LINKTYPE_NULL = 0
/** Ethernet II, possibly with 802.1Q / 802.1ad VLAN tags. */
export const LINKTYPE_ETHERNET = 1
/** DLT_RAW on most BSDs and Linux, found in some old files: raw IPv4 or IPv6. */
export const LINKTYPE_RAW_DLT12 = 12
/** DLT_RAW on OpenBSD, found in some old files: raw IPv4 or IPv6. */
export const LINKTYPE_RAW_DLT14 = 14
/** Raw IP: the packet starts with an IPv4 or IPv6 header. */
export const LINKTYPE_RAW = 101
/** OpenBSD loopback: like NULL but the family is always big-endian. */
export const LINKTYPE_LOOP = 108
/** Linux cooked capture v1 (16-byte header), what libpcap gives for `any` by default. */
export const LINKTYPE_LINUX_SLL = 113
/** Raw IPv4 only. */
export const LINKTYPE_IPV4 = 228
/** Raw IPv6 only. */
export const LINKTYPE_IPV6 = 229
/** Linux cooked capture v2 (20-byte header), what tcpdump picks for `-i any`. */
export const LINKTYPE_LINUX_SLL2 = 276

const NAMES: Record<number, string> = {
  [LINKTYPE_NULL]: 'NULL',
  [LINKTYPE_ETHERNET]: 'EN10MB',
  [LINKTYPE_RAW_DLT12]: 'RAW',
  [LINKTYPE_RAW_DLT14]: 'RAW',
  [LINKTYPE_RAW]: 'RAW',
  [LINKTYPE_LOOP]: 'LOOP',
  [LINKTYPE_LINUX_SLL]: 'LINUX_SLL',
  [LINKTYPE_IPV4]: 'IPV4',
  [LINKTYPE_IPV6]: 'IPV6',
  [LINKTYPE_LINUX_SLL2]: 'LINUX_SLL2',
}

export function isSupportedLinkType(linkType: number): boolean {
  return NAMES[linkType] !== undefined
}

/** tcpdump's short name ("EN10MB", "LINUX_SLL2"), or "LINKTYPE_<n>" for types rpcdiag does not decode. */
export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `LINKTYPE_${linkType}`
}

/** The message for an unsupported link type, naming what is supported. */
export function unsupportedLinkTypeMessage(linkType: number): string {
  return (
    `link type ${linkType} (${linkTypeName(linkType)}) is not supported: rpcdiag decodes ` +
    'Ethernet (EN10MB), Linux cooked SLL and SLL2, BSD loopback (NULL, LOOP) and raw IPv4/IPv6 (RAW)'
  )
}

/** The link type for tcpdump's name of it ("EN10MB", "LINUX_SLL2"), as `tcpdump: listening on ..., link-type NAME` prints. */
export function linkTypeFromName(name: string): number | undefined {
  if (name === 'RAW') return LINKTYPE_RAW
  for (const [n, s] of Object.entries(NAMES)) if (s === name) return Number(n)
  return undefined
}
