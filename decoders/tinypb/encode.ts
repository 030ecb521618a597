import {DEFAULT_CHECKSUM, END, FIXED_OVERHEAD, START} from './constants.js'
import type {TinyPbMessage} from './frame.js'

const EMPTY = new Uint8Array(0)

function byteLength(v: string | Uint8Array | undefined): number {
  if (v === undefined) return 0
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length
}

/** Size in bytes of the frame that encodeFrame would produce. */
export function encodedLength(m: TinyPbMessage): number {
  return FIXED_OVERHEAD + byteLength(m.msgId) + byteLength(m.methodName) + byteLength(m.errInfo) + (m.pbData?.length ?? 0)
}

/** Write a length-prefixed field; strings go straight into the target, no temporary. */
function writeField(target: Buffer, at: number, v: string | Uint8Array | undefined, len: number): number {
  at = target.writeInt32BE(len, at)
  if (typeof v === 'string') target.write(v, at, len, 'utf8')
  else if (v !== undefined) target.set(v, at)
  return at + len
}

/**
 * Encode one frame into target at offset, exactly as rocket and tinyrpc lay it
 * out. target must have encodedLength(m) bytes free there. Returns the bytes written.
 */
export function encodeFrameInto(target: Buffer, offset: number, m: TinyPbMessage, pkLen: number = encodedLength(m)): number {
  const pb = m.pbData ?? EMPTY
  let at = offset
  target[at++] = START
  at = target.writeInt32BE(pkLen, at)
  at = writeField(target, at, m.msgId, byteLength(m.msgId))
  at = writeField(target, at, m.methodName, byteLength(m.methodName))
  at = target.writeInt32BE(m.errCode ?? 0, at)
  at = writeField(target, at, m.errInfo, byteLength(m.errInfo))
  target.set(pb, at)
  at += pb.length
  at = target.writeInt32BE(m.checksum ?? DEFAULT_CHECKSUM, at)
  target[at++] = END
  return at - offset
}

/** Encode one frame into a new buffer. */
export function encodeFrame(m: TinyPbMessage): Buffer {
  const pkLen = encodedLength(m)
  const out = Buffer.allocUnsafe(pkLen)
  encodeFrameInto(out, 0, m, pkLen)
  return out
}
