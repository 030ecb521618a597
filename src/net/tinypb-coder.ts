import {encodeFrameInto, encodedLength, MSG_ID_AT, TinyPbStreamDecoder, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import type {Coder, DecodeIssue} from './coder.js'
import type {TcpBuffer} from './tcp-buffer.js'

/**
 * A frame to copy while only its msg_id changes: a load test sends one request
 * again and again, a server with a scripted answer sends one reply.
 */
interface FrameTemplate {
  readonly of: TinyPbMessage
  readonly msgIdLen: number
  /** The encoded frame (its own copy), or undefined until the layout repeats. */
  bytes: Buffer | undefined
}

/** msg_id is ASCII (rocket's are decimal digits): one byte per character, as UTF-8 writes it. */
function asciiLength(s: string | Uint8Array): number {
  if (typeof s !== 'string') return -1
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return -1
  return s.length
}

function sameLayout(a: TinyPbMessage, b: TinyPbMessage): boolean {
  return a.methodName === b.methodName && a.pbData === b.pbData && a.errCode === b.errCode && a.errInfo === b.errInfo && a.checksum === b.checksum
}

/** TinyPB over a TcpBuffer: the same stream decoder the sniffer uses. */
export class TinyPbCoder implements Coder<TinyPbFrame, TinyPbMessage> {
  private readonly decoder: TinyPbStreamDecoder
  private template: FrameTemplate | undefined

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

  /**
   * Appends the frame. When the message has the same fields as the one before
   * (the same method name, the same pb_data buffer...) and an ASCII msg_id of
   * the same length, the frame encoded then is copied and only the msg_id
   * bytes are written. Strings compare by value, buffers by identity: a
   * buffer handed in again must hold the same bytes (a prepared request body,
   * a scripted reply).
   */
  encode(msg: TinyPbMessage, output: TcpBuffer): void {
    const msgIdLen = asciiLength(msg.msgId)
    const t = this.template
    if (t !== undefined && t.bytes !== undefined && msgIdLen === t.msgIdLen && sameLayout(msg, t.of)) {
      const len = t.bytes.length
      output.ensureWritable(len)
      const buf = output.buffer
      const at = output.writeIndex
      buf.set(t.bytes, at)
      const id = msg.msgId as string
      for (let i = 0; i < msgIdLen; i++) buf[at + MSG_ID_AT + i] = id.charCodeAt(i)
      output.commit(len)
      return
    }
    const len = encodedLength(msg)
    output.ensureWritable(len)
    const at = output.writeIndex
    output.commit(encodeFrameInto(output.buffer, at, msg, len))
    if (msgIdLen < 0) this.template = undefined
    else if (t !== undefined && t.bytes === undefined && msgIdLen === t.msgIdLen && sameLayout(msg, t.of)) {
      t.bytes = Buffer.from(output.buffer.subarray(at, at + len))
    } else this.template = {of: msg, msgIdLen, bytes: undefined}
  }
}
