import type {CapturedPacket} from '../../decoders/packet/index.js'
import type {RpcDiagError} from '../errors.js'

/** Where packets come from: a capture process (dumpcap or tcpdump), libpcap through the cap addon, a file, or stdin. */
export type CaptureKind = 'dumpcap' | 'tcpdump' | 'cap' | 'file' | 'stdin'

/**
 * Who stamped the packets. kernel: libpcap's timestamps, taken when the
 * kernel saw the packet (dumpcap, tcpdump). userspace: taken when the packet
 * reached rpcdiag's JavaScript (cap passes no pcap header), later by the time
 * the packet waited in the ring and the event loop: latency figures are
 * approximate. file: whatever the file's writer recorded (dumpcap, tcpdump and
 * Wireshark record the kernel's).
 */
export type TimestampSource = 'kernel' | 'userspace' | 'file'

/** The one-line warning a capture with userspace timestamps deserves, or undefined. */
export function timestampWarning(source: Pick<CaptureSource, 'timestampSource'>): string | undefined {
  return source.timestampSource === 'userspace'
    ? 'timestamps are taken when packets reach rpcdiag, not by the kernel (cap passes no pcap header): latency figures are approximate; install dumpcap (wireshark-common) or tcpdump for kernel timestamps'
    : undefined
}

export interface CaptureStats {
  /** Packets handed out so far. */
  readonly packets: number
  /** Captured bytes handed out so far (link-layer headers included). */
  readonly bytes: number
  /**
   * Packets handed out with fewer bytes than they had on the wire (the snap
   * length cut them; their origLen says how many are missing): the analysis
   * sees the missing bytes as a gap, never as data.
   */
  readonly truncated: number
  /**
   * Packets the kernel dropped because the capture buffer was full: libpcap's
   * ps_drop as tcpdump reports it, the packet socket's drop counter for cap,
   * isb_ifdrop from a pcapng file. undefined when the source cannot know.
   */
  readonly kernelDrops?: number
  /** Packets the interface dropped (tcpdump's "dropped by interface"), when reported. */
  readonly interfaceDrops?: number
  /** Packets that matched the kernel filter (tcpdump's "received by filter"), when reported. */
  readonly received?: number
  /** Packets rpcdiag dropped itself because the consumer fell behind a live capture. */
  readonly queueDrops: number
  /** Packets of a file that the --port/--host/--filter filter rejected. */
  readonly filtered: number
  /** Files: bytes read so far, and the size (undefined for stdin): for a progress display. */
  readonly fileBytesRead?: number
  readonly fileSize?: number
}

/** Why a capture ended. Packets captured before the end were all handed out. */
export interface CaptureEnd {
  readonly reason: 'eof' | 'stopped' | 'error'
  /** Set when reason is 'error': a truncated file, tcpdump dying, a libpcap failure. */
  readonly error?: RpcDiagError
}

/**
 * A running capture. Iterate it once, packet by packet or (faster: one await
 * per chunk instead of per packet) batch by batch:
 *
 *     for await (const batch of source.batches()) for (const p of batch) ...
 *
 * Packet data are views into the chunks they were read into; copy what must
 * outlive a long wait (a view keeps its whole chunk alive).
 */
export interface CaptureSource extends AsyncIterable<CapturedPacket> {
  readonly kind: CaptureKind
  /** One line for the user: "lo via libpcap (cap), link-type EN10MB", "file x.pcapng". */
  readonly description: string
  /** The BPF expression in force, if any. */
  readonly filter: string | undefined
  /** The link type when one holds for the whole capture (live, classic pcap); pcapng packets carry their own. */
  readonly linkType: number | undefined
  readonly timestampSource: TimestampSource
  /** -w's file when the source writes it itself (a capture process writes it directly); else the caller writes. */
  readonly writesTo?: string
  batches(): AsyncIterable<readonly CapturedPacket[]>
  stats(): CaptureStats
  /** Live captures: ask the kernel or tcpdump for fresh drop counts. Files: stats(). */
  refreshStats(): Promise<CaptureStats>
  /**
   * Stop capturing. Iteration ends after the packets already captured (tcpdump
   * flushes what it holds); safe to call more than once and after the end.
   */
  stop(): Promise<void>
  /** Set once iteration has ended. */
  readonly end: CaptureEnd | undefined
}

/** Counters every source keeps; sources add what they know. */
export interface MutableStats {
  packets: number
  bytes: number
  truncated: number
  kernelDrops?: number
  interfaceDrops?: number
  received?: number
  queueDrops: number
  filtered: number
  fileBytesRead?: number
  fileSize?: number
}

/**
 * The part of a source that is the same everywhere: one iteration only,
 * packets from batches, counting, an AbortSignal that stops the capture.
 */
export abstract class BaseCaptureSource implements CaptureSource {
  abstract readonly kind: CaptureKind
  abstract readonly description: string
  abstract readonly filter: string | undefined
  abstract readonly linkType: number | undefined
  abstract readonly timestampSource: TimestampSource
  end: CaptureEnd | undefined
  protected readonly counters: MutableStats = {packets: 0, bytes: 0, truncated: 0, queueDrops: 0, filtered: 0}
  protected stopping = false
  private iterated = false

  constructor(signal?: AbortSignal) {
    if (signal !== undefined) {
      if (signal.aborted) this.stopping = true
      else signal.addEventListener('abort', () => void this.stop(), {once: true})
    }
  }

  /** The source's own batch generator; the base wraps it with counting and the one-iteration rule. */
  protected abstract produce(): AsyncGenerator<CapturedPacket[]>

  async *batches(): AsyncGenerator<readonly CapturedPacket[]> {
    if (this.iterated) throw new Error('a capture source can be iterated only once')
    this.iterated = true
    try {
      for await (const batch of this.produce()) {
        if (batch.length === 0) continue
        let bytes = 0
        let truncated = 0
        for (let i = 0; i < batch.length; i++) {
          const p = batch[i]
          bytes += p.data.length
          if (p.origLen > p.data.length) truncated++
        }
        this.counters.packets += batch.length
        this.counters.bytes += bytes
        this.counters.truncated += truncated
        yield batch
      }
    } finally {
      // A consumer that breaks out of its loop stops the capture.
      if (this.end === undefined) {
        await this.stop()
        this.end ??= {reason: 'stopped'}
      }
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<CapturedPacket> {
    for await (const batch of this.batches()) yield* batch
  }

  stats(): CaptureStats {
    return {...this.counters}
  }

  async refreshStats(): Promise<CaptureStats> {
    return this.stats()
  }

  abstract stop(): Promise<void>
}
