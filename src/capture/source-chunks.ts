import type {CapturedPacket} from '../../decoders/packet/index.js'
import type {CaptureFileDecoder} from '../../decoders/pcap/index.js'

/** The first bytes of a chunk tried for finishing a record cut by the previous chunk. */
const JOIN_START = 4096

/**
 * Feeds a capture stream to a CaptureFileDecoder chunk by chunk without
 * copying the chunks. A record cut at a chunk boundary is finished in a small
 * buffer joining the carried tail with the head of the next chunk (growing it
 * only for a record larger than that), then the decoder reads the rest of the
 * chunk in place. Every packet stays a view into memory nothing rewrites.
 */
export class SourceChunks {
  private carry: Uint8Array = new Uint8Array(0)

  constructor(private readonly decoder: CaptureFileDecoder) {}

  /** Bytes received but not yet decoded (an incomplete record). */
  get pending(): number {
    return this.carry.length
  }

  /** Decode one chunk into out; stops early when the decoder reports an error. */
  push(chunk: Buffer, out: CapturedPacket[]): void {
    let rest = chunk
    let take = JOIN_START
    while (this.carry.length > 0) {
      if (this.decoder.error !== undefined) return
      const n = Math.min(rest.length, take)
      const joined = Buffer.allocUnsafe(this.carry.length + n)
      joined.set(this.carry, 0)
      joined.set(rest.subarray(0, n), this.carry.length)
      const at = this.decoder.decode(joined, 0, joined.length, out)
      if (at >= this.carry.length) {
        // The cut record is done; what the decoder took past it came from rest.
        rest = rest.subarray(at - this.carry.length)
        this.carry = new Uint8Array(0)
        break
      }
      this.carry = joined.subarray(at)
      rest = rest.subarray(n)
      if (rest.length === 0) return
      take *= 4
    }
    if (rest.length === 0 || this.decoder.error !== undefined) return
    const at = this.decoder.decode(rest, 0, rest.length, out)
    if (at < rest.length) this.carry = rest.subarray(at)
  }

  /** The stream ended: let the decoder judge what is left. */
  finish() {
    return this.decoder.finish(0, this.carry.length)
  }
}
