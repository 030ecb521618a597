// Wire constants of the two capture file formats.
// Classic pcap: draft-ietf-opsawg-pcap. pcapng: draft-ietf-opsawg-pcapng.

/** Classic pcap magic, microsecond timestamps, as written in the writer's byte order. */
export const PCAP_MAGIC_US = 0xa1b2c3d4
/** Classic pcap magic, nanosecond timestamps. */
export const PCAP_MAGIC_NS = 0xa1b23c4d
/** magic (4) + version (2+2) + thiszone (4) + sigfigs (4) + snaplen (4) + linktype (4). */
export const PCAP_HEADER = 24
/** ts_sec (4) + ts_usec/nsec (4) + incl_len (4) + orig_len (4). */
export const PCAP_RECORD_HEADER = 16
export const PCAP_VERSION_MAJOR = 2
export const PCAP_VERSION_MINOR = 4
/**
 * libpcap's MAXIMUM_SNAPLEN: it refuses records with a larger incl_len as
 * corrupt, and so does rpcdiag, before allocating anything for them.
 */
export const MAX_PCAP_RECORD = 262_144
/** Default snaplen written by tcpdump and by rpcdiag's writer. */
export const DEFAULT_SNAPLEN = 262_144
/** The link type occupies the low 16 bits of the header's network field; the top bits carry FCS flags. */
export const PCAP_LINKTYPE_MASK = 0x0000ffff

/** pcapng Section Header Block; the value reads the same in both byte orders. */
export const PCAPNG_SHB = 0x0a0d0d0a
/** Byte-order magic in the SHB body; read in the wrong order it is 0x4d3c2b1a. */
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d
export const PCAPNG_IDB = 0x00000001 // Interface Description Block
export const PCAPNG_OPB = 0x00000002 // obsolete Packet Block
export const PCAPNG_SPB = 0x00000003 // Simple Packet Block
export const PCAPNG_NRB = 0x00000004 // Name Resolution Block
export const PCAPNG_ISB = 0x00000005 // Interface Statistics Block
export const PCAPNG_EPB = 0x00000006 // Enhanced Packet Block
/** type (4) + total length (4) ... total length (4). */
export const PCAPNG_BLOCK_OVERHEAD = 12
/** SHB body before options: byte-order magic (4) + major (2) + minor (2) + section length (8). */
export const PCAPNG_SHB_FIXED = 16
/** The smallest SHB: overhead + fixed body. */
export const PCAPNG_SHB_MIN = PCAPNG_BLOCK_OVERHEAD + PCAPNG_SHB_FIXED
export const PCAPNG_VERSION_MAJOR = 1
/** IDB body before options: linktype (2) + reserved (2) + snaplen (4). */
export const PCAPNG_IDB_FIXED = 8
/** EPB body before data: interface id (4) + ts high (4) + ts low (4) + caplen (4) + origlen (4). */
export const PCAPNG_EPB_FIXED = 20
/** SPB body before data: origlen (4). */
export const PCAPNG_SPB_FIXED = 4
/** OPB body before data: interface id (2) + drops (2) + ts high (4) + ts low (4) + caplen (4) + origlen (4). */
export const PCAPNG_OPB_FIXED = 20
/** ISB body before options: interface id (4) + ts high (4) + ts low (4). */
export const PCAPNG_ISB_FIXED = 12
/**
 * Largest block accepted before buffering it (Wireshark's limit is 16 MiB too):
 * a corrupt length must not make the reader allocate gigabytes.
 */
export const MAX_PCAPNG_BLOCK = 16 * 1024 * 1024

// Option codes.
export const OPT_ENDOFOPT = 0
export const IF_NAME = 2
export const IF_DESCRIPTION = 3
export const IF_TSRESOL = 9
export const IF_TSOFFSET = 14
export const ISB_IFRECV = 4
export const ISB_IFDROP = 5
export const ISB_FILTERACCEPT = 6
export const ISB_OSDROP = 7

/** Default pcapng timestamp resolution: microseconds (if_tsresol absent). */
export const DEFAULT_TSRESOL = 6
