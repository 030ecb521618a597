import type {Coder, DecodeIssue, TcpBuffer} from '../../src/net/index.js'

/**
 * A second coder for the connection tests, after rocket's StringCoder: no framing at all. A message is whatever bytes one read
 * returned, and a reply is written back as-is.
 */
export class StringCoder implements Coder<Buffer, Uint8Array | string> {
  decode(input: TcpBuffer, out: Array<Buffer | DecodeIssue>): void {
    if (input.readable > 0) out.push(input.take())
  }

  finish(input: TcpBuffer, out: Array<Buffer | DecodeIssue>): void {
    this.decode(input, out)
  }

  encode(msg: Uint8Array | string, output: TcpBuffer): void {
    const bytes = typeof msg === 'string' ? Buffer.from(msg, 'utf8') : msg
    output.ensureWritable(bytes.length)
    output.buffer.set(bytes, output.writeIndex)
    output.commit(bytes.length)
  }
}
