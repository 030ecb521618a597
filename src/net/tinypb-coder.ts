import {encodeFrameInto, encodedLength, TinyPbStreamDecoder, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import type {Coder, DecodeIssue} from './coder.js'
import type {TcpBuffer} from './tcp-buffer.js'

/** TinyPB over a TcpBuffer: the same stream decoder the sniffer uses. */
export class TinyPbCoder implements Coder<TinyPbFrame, TinyPbMessage> {
  private readonly decoder: TinyPbStreamDecoder

  constructor(opts: {maxFrame?: number} = {}) {
    this.decoder = new TinyPbStreamDecoder(opts)
  }

  decode(input: TcpBuffer, out: Array<TinyPbFrame | DecodeIssue>): void {
    if (input.readable < this.decoder.need) return
    input.consumeTo(this.decoder.decode(input.buffer, input.readIndex, input.writeIndex, out))
  }

  finish(input: TcpBuffer, out: Array<TinyPbFrame | DecodeIssue>): void {
    this.decoder.finish(input.buffer, input.readIndex, input.writeIndex, out)
    input.consume(input.readable)
  }

  pending(): DecodeIssue | undefined {
    return this.decoder.pendingError
  }

  encode(msg: TinyPbMessage, output: TcpBuffer): void {
    const len = encodedLength(msg)
    output.ensureWritable(len)
    output.commit(encodeFrameInto(output.buffer, output.writeIndex, msg, len))
  }
}
