import {PcapDecoder, isPcapMagic} from './pcap-decoder.js'
import {isPcapNgMagic, PcapNgDecoder} from './pcapng-decoder.js'
import {type CaptureFileError, type CaptureFileFormat, type CaptureInterface, fileError, type InterfaceStatistics, type PacketSink} from './types.js'

export interface CaptureFileDecoderOptions {
  /** Largest classic pcap record accepted (default 256 KiB, libpcap's limit). */
  maxRecord?: number
  /** Largest pcapng block accepted (default 16 MiB). */
  maxBlock?: number
}

/**
 * A pcap or pcapng stream, whichever its first four bytes say, decoded from
 * chunks split anywhere: the one reader behind `--read FILE` and `--read -`.
 *
 *     const d = new CaptureFileDecoder()
 *     let at = d.decode(buf, off, end, packets)   // consumed up to `at`; present the rest again
 *     ... at end of stream: const e = d.finish(at, end)
 *
 * Bad input is a value: after decode() check `error`; finish() returns the
 * error, if any (TRUNCATED for a stream cut inside a record).
 */
export class CaptureFileDecoder {
  private inner: PcapDecoder | PcapNgDecoder | undefined
  private failure: CaptureFileError | undefined

  constructor(private readonly opts: CaptureFileDecoderOptions = {}) {}

  get format(): CaptureFileFormat | undefined {
    return this.inner === undefined ? undefined : this.inner instanceof PcapDecoder ? 'pcap' : 'pcapng'
  }

  get error(): CaptureFileError | undefined {
    return this.failure ?? this.inner?.error
  }

  /** Stream position of the next byte not yet consumed. */
  get position(): number {
    return this.inner?.position ?? 0
  }

  get packets(): number {
    return this.inner?.packets ?? 0
  }

  get interfaces(): readonly CaptureInterface[] {
    return this.inner?.interfaces ?? []
  }

  /** pcapng interface statistics (kernel drops as dumpcap recorded them); empty for classic pcap. */
  get statistics(): readonly InterfaceStatistics[] {
    return this.inner instanceof PcapNgDecoder ? this.inner.statistics : []
  }

  decode(buf: Buffer, off: number, end: number, out: PacketSink): number {
    if (this.inner === undefined) {
      if (this.failure !== undefined || end - off < 4) return off
      if (isPcapNgMagic(buf, off)) this.inner = new PcapNgDecoder({maxBlock: this.opts.maxBlock})
      else if (isPcapMagic(buf, off)) this.inner = new PcapDecoder({maxRecord: this.opts.maxRecord})
      else {
        this.failure = fileError('BAD_MAGIC', 0, `not a pcap or pcapng file (starts with ${buf.toString('hex', off, off + 4)})`)
        return off
      }
    }
    return this.inner.decode(buf, off, end, out)
  }

  /** The stream ended with buf[off..end) unconsumed: the error, if the stream did not end cleanly. */
  finish(off: number, end: number): CaptureFileError | undefined {
    if (this.failure !== undefined) return this.failure
    if (this.inner === undefined) {
      this.failure = end - off === 0 ? fileError('EMPTY', 0, 'the capture is empty') : fileError('TRUNCATED', 0, `a ${end - off}-byte stream is too short to be a capture file`)
      return this.failure
    }
    return this.inner.finish(off, end)
  }
}
