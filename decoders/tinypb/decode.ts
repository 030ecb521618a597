import {DEFAULT_MAX_FRAME, END, FIXED_OVERHEAD, MIN_FRAME, MSG_ID_AT, MSG_ID_LEN_AT, PK_LEN_AT, START} from './constants.js'
import {TinyPbFrame} from './frame.js'

/** Stable codes for malformed TinyPB input. Tests and tooling match on these, never on text. */
export type FrameErrorCode =
  | 'BAD_START' // first byte is not 0x02
  | 'BAD_END' // byte at start + pk_len - 1 is not 0x03
  | 'PK_LEN_TOO_SMALL' // pk_len < 26
  | 'PK_LEN_TOO_LARGE' // pk_len > the configured maximum frame size
  | 'FIELD_OVERRUN' // a length field is negative or runs past pk_len
  | 'NEGATIVE_PB_LEN' // fields fit, but leave a negative pb_data length
  | 'TRUNCATED' // the stream ended inside a frame

export type LengthField = 'msg_id' | 'method_name' | 'err_info'

export interface FrameError {
  readonly kind: 'error'
  readonly code: FrameErrorCode
  /** Where the bad frame (or garbage) starts: an offset into the input, or a stream position from the stream decoder. */
  readonly offset: number
  readonly message: string
  /** pk_len as read, when it was read. */
  readonly pkLen?: number
  /** For FIELD_OVERRUN: the field whose length is bad, and that length. */
  readonly field?: LengthField
  readonly fieldLen?: number
  /** Bytes dropped before the next candidate start byte (filled in by the stream decoder). */
  readonly skipped: number
}

export type DecodeResult =
  | {readonly kind: 'frame'; readonly frame: TinyPbFrame; readonly next: number}
  /** need: bytes to add before the decoder can take its next step (the next length check, or the end of the frame). */
  | {readonly kind: 'incomplete'; readonly need: number}
  | FrameError

export interface DecodeOptions {
  /** Largest pk_len accepted; default 64 MiB. */
  maxFrame?: number
}

function fail(code: FrameErrorCode, offset: number, message: string, extra: Partial<FrameError> = {}): FrameError {
  return {kind: 'error', code, offset, message, skipped: 0, ...extra}
}

function overrun(offset: number, pkLen: number, field: LengthField, fieldLen: number): FrameError {
  return fail('FIELD_OVERRUN', offset, `${field}_len ${fieldLen} runs past pk_len ${pkLen}`, {pkLen, field, fieldLen})
}

/**
 * Decode one frame at buf[offset..end). Pure: never throws on wire data, never
 * allocates beyond the frame view. Every length is checked as soon as its bytes
 * are present, so garbage is rejected without waiting for the whole claimed frame
 * whenever its header already gives it away.
 */
export function decodeFrame(buf: Buffer, offset: number, end: number, maxFrame: number = DEFAULT_MAX_FRAME): DecodeResult {
  const avail = end - offset
  if (avail <= 0) return incomplete(1)
  if (buf[offset] !== START) {
    return fail('BAD_START', offset, `expected start byte 0x02, got 0x${buf[offset].toString(16).padStart(2, '0')}`)
  }
  if (avail < PK_LEN_AT + 4) return incomplete(PK_LEN_AT + 4 - avail)

  const pkLen = buf.readInt32BE(offset + PK_LEN_AT)
  if (pkLen < MIN_FRAME) {
    return fail('PK_LEN_TOO_SMALL', offset, `pk_len ${pkLen} is below the ${FIXED_OVERHEAD}-byte minimum`, {pkLen})
  }
  if (pkLen > maxFrame) {
    return fail('PK_LEN_TOO_LARGE', offset, `pk_len ${pkLen} exceeds the maximum frame size ${maxFrame}`, {pkLen})
  }

  // msg_id_len, then the 4-byte method_name_len that follows msg_id, must fit in pk_len.
  if (avail < MSG_ID_AT) return incomplete(MSG_ID_AT - avail)
  const msgIdLen = buf.readInt32BE(offset + MSG_ID_LEN_AT)
  if (msgIdLen < 0 || MSG_ID_AT + msgIdLen + 4 > pkLen) return overrun(offset, pkLen, 'msg_id', msgIdLen)

  // method_name, then err_code and err_info_len.
  const methodLenAt = MSG_ID_AT + msgIdLen
  if (avail < methodLenAt + 4) return incomplete(methodLenAt + 4 - avail)
  const methodNameLen = buf.readInt32BE(offset + methodLenAt)
  const errCodeAt = methodLenAt + 4 + methodNameLen
  if (methodNameLen < 0 || errCodeAt + 8 > pkLen) return overrun(offset, pkLen, 'method_name', methodNameLen)

  // err_info must end inside the frame.
  if (avail < errCodeAt + 8) return incomplete(errCodeAt + 8 - avail)
  const errInfoLen = buf.readInt32BE(offset + errCodeAt + 4)
  if (errInfoLen < 0 || errCodeAt + 8 + errInfoLen > pkLen) return overrun(offset, pkLen, 'err_info', errInfoLen)

  const pbLen = pkLen - FIXED_OVERHEAD - msgIdLen - methodNameLen - errInfoLen
  if (pbLen < 0) {
    return fail('NEGATIVE_PB_LEN', offset, `fields leave a pb_data length of ${pbLen}`, {pkLen})
  }

  if (avail < pkLen) return incomplete(pkLen - avail)
  const last = buf[offset + pkLen - 1]
  if (last !== END) {
    return fail('BAD_END', offset, `expected end byte 0x03 at +${pkLen - 1}, got 0x${last.toString(16).padStart(2, '0')}`, {pkLen})
  }
  return {kind: 'frame', frame: new TinyPbFrame(buf, offset, pkLen, msgIdLen, methodNameLen, errInfoLen), next: offset + pkLen}
}

function incomplete(need: number): DecodeResult {
  return {kind: 'incomplete', need}
}
