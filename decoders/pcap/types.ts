import type {CapturedPacket} from '../packet/captured-packet.js'

/** Stable codes for capture files that cannot be read. Tests match on these, never on text. */
export type CaptureFileErrorCode =
  | 'EMPTY' // the stream ended before the first byte
  | 'BAD_MAGIC' // neither a pcap nor a pcapng file
  | 'UNSUPPORTED_VERSION' // a pcap major version other than 2, a pcapng major other than 1
  | 'RECORD_TOO_LARGE' // a pcap record longer than the 256 KiB libpcap allows
  | 'BAD_BLOCK_LENGTH' // a pcapng block length that is too small, not a multiple of 4, or too large
  | 'BLOCK_LENGTH_MISMATCH' // a pcapng block's trailing length differs from its leading one
  | 'BAD_BLOCK' // a pcapng block whose fields run past it, or a packet block before any interface
  | 'UNKNOWN_INTERFACE' // a pcapng packet for an interface id that no IDB described
  | 'TRUNCATED' // the stream ended inside a header, a record or a block

export interface CaptureFileError {
  readonly kind: 'error'
  readonly code: CaptureFileErrorCode
  /** Stream position (bytes from the start of the file) of the header, record or block at fault. */
  readonly offset: number
  readonly message: string
}

export type CaptureFileFormat = 'pcap' | 'pcapng'

/** An interface of the capture: the classic pcap header, or a pcapng IDB. */
export interface CaptureInterface {
  readonly linkType: number
  readonly snaplen: number
  /** if_name / if_description from a pcapng IDB. */
  readonly name?: string
  readonly description?: string
  /** Timestamp units per second: 1e6 (microseconds), 1e9 (nanoseconds), or another if_tsresol. */
  readonly unitsPerSecond: number
  /** Byte order of the file section that described it. */
  readonly bigEndian: boolean
}

/** Counters from pcapng Interface Statistics Blocks (the last one seen for each interface). */
export interface InterfaceStatistics {
  readonly interfaceId: number
  /** Packets received by the interface (isb_ifrecv). */
  readonly received?: number
  /** Packets the interface or kernel dropped (isb_ifdrop). */
  readonly dropped?: number
  /** Packets the OS dropped for lack of buffer space (isb_osdrop). */
  readonly osDropped?: number
  /** Packets accepted by the capture filter (isb_filteraccept). */
  readonly filterAccepted?: number
}

/** Where decoded packets go: an array, or anything with push. */
export interface PacketSink {
  push(p: CapturedPacket): unknown
}

export function fileError(code: CaptureFileErrorCode, offset: number, message: string): CaptureFileError {
  return {kind: 'error', code, offset, message}
}
