import {MSG_ID_AT, TRAILER} from './constants.js'

/** Fields of a TinyPB frame as given to the encoder. Strings are written as UTF-8. */
export interface TinyPbMessage {
  msgId: string | Uint8Array
  methodName: string | Uint8Array
  /** 0 = ok; set only in responses. */
  errCode?: number
  errInfo?: string | Uint8Array
  pbData?: Uint8Array
  /** Both frameworks write 1 and never check it; kept so re-encoding is byte-exact. */
  checksum?: number
}

/**
 * A decoded frame: a view over the bytes it was decoded from, nothing copied.
 * Field getters make their views or strings on first use. The view stays valid
 * as long as the caller does not overwrite the input it decoded from
 * (TcpBuffer never does: it moves to fresh memory when it compacts).
 */
export class TinyPbFrame {
  readonly kind = 'frame' as const

  constructor(
    /** The buffer the frame lives in. */
    readonly buf: Buffer,
    /** Offset of the start byte (0x02) in buf. */
    readonly start: number,
    /** pk_len: length of the whole frame, start and end bytes included. */
    readonly pkLen: number,
    readonly msgIdLen: number,
    readonly methodNameLen: number,
    readonly errInfoLen: number,
  ) {}

  private get methodLenAt(): number {
    return this.start + MSG_ID_AT + this.msgIdLen
  }

  private get errCodeAt(): number {
    return this.methodLenAt + 4 + this.methodNameLen
  }

  private get errInfoAt(): number {
    return this.errCodeAt + 8
  }

  private get pbDataAt(): number {
    return this.errInfoAt + this.errInfoLen
  }

  /** The whole frame, start byte to end byte. */
  get bytes(): Buffer {
    return this.buf.subarray(this.start, this.start + this.pkLen)
  }

  get msgIdBytes(): Buffer {
    const at = this.start + MSG_ID_AT
    return this.buf.subarray(at, at + this.msgIdLen)
  }

  get msgId(): string {
    const at = this.start + MSG_ID_AT
    return this.buf.toString('utf8', at, at + this.msgIdLen)
  }

  /** Offset of method_name's first byte in buf. */
  get methodNameAt(): number {
    return this.methodLenAt + 4
  }

  get methodNameBytes(): Buffer {
    const at = this.methodLenAt + 4
    return this.buf.subarray(at, at + this.methodNameLen)
  }

  get methodName(): string {
    const at = this.methodLenAt + 4
    return this.buf.toString('utf8', at, at + this.methodNameLen)
  }

  get errCode(): number {
    // Big-endian int32 by hand: Buffer.readInt32BE's checks cost more than this on every frame of a capture.
    const b = this.buf
    const at = this.errCodeAt
    return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]
  }

  get errInfoBytes(): Buffer {
    const at = this.errInfoAt
    return this.buf.subarray(at, at + this.errInfoLen)
  }

  get errInfo(): string {
    const at = this.errInfoAt
    return this.buf.toString('utf8', at, at + this.errInfoLen)
  }

  get pbDataLen(): number {
    return this.start + this.pkLen - TRAILER - this.pbDataAt
  }

  get pbData(): Buffer {
    return this.buf.subarray(this.pbDataAt, this.start + this.pkLen - TRAILER)
  }

  get checksum(): number {
    return this.buf.readInt32BE(this.start + this.pkLen - TRAILER)
  }

  /** The fields as byte views, so that encodeFrame(frame.toMessage()) reproduces the frame exactly. */
  toMessage(): Required<TinyPbMessage> {
    return {
      msgId: this.msgIdBytes,
      methodName: this.methodNameBytes,
      errCode: this.errCode,
      errInfo: this.errInfoBytes,
      pbData: this.pbData,
      checksum: this.checksum,
    }
  }

  /** The fields as text, for display and JSON output. */
  toJSON(): {msgId: string; methodName: string; errCode: number; errInfo: string; pbDataLen: number; pkLen: number; checksum: number} {
    return {
      msgId: this.msgId,
      methodName: this.methodName,
      errCode: this.errCode,
      errInfo: this.errInfo,
      pbDataLen: this.pbDataLen,
      pkLen: this.pkLen,
      checksum: this.checksum,
    }
  }
}
