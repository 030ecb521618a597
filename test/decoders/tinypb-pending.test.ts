import {describe, expect, it} from 'vitest'

import {encodeFrame, type StreamEvent, TinyPbStreamDecoder} from '../../decoders/tinypb/index.js'

/** A reply whose pk_len reads 0x7fffffff: the decoder resyncs past it, and no 0x02 follows in its bytes. */
function corrupt(): Buffer {
  const f = encodeFrame({msgId: '11112222333344445555', methodName: 'Order.makeOrder', pbData: Buffer.from('1a083230323330353134', 'hex')})
  f.writeInt32BE(0x7fffffff, 1)
  return f
}

describe('TinyPbStreamDecoder.pendingError', () => {
  it('shows the error being skipped past, the same at every split, and equal to what finish() then reports', () => {
    const bytes = corrupt()
    expect(bytes.indexOf(0x02, 1)).toBe(-1)
    for (let split = 0; split <= bytes.length; split++) {
      const d = new TinyPbStreamDecoder()
      const out: StreamEvent[] = []
      let pending = Buffer.alloc(0)
      for (const part of [bytes.subarray(0, split), bytes.subarray(split)]) {
        pending = Buffer.concat([pending, part])
        pending = pending.subarray(d.decode(pending, 0, pending.length, out))
      }
      expect(out).toEqual([])
      const shown = d.pendingError
      expect(shown).toMatchObject({code: 'PK_LEN_TOO_LARGE', offset: 0, pkLen: 0x7fffffff, skipped: bytes.length})
      d.finish(pending, 0, pending.length, out)
      expect(out).toEqual([shown])
      expect(d.pendingError).toBeUndefined()
    }
  })

  it('is gone once a start byte ends the resync (the error is pushed then)', () => {
    const d = new TinyPbStreamDecoder()
    const out: StreamEvent[] = []
    const good = encodeFrame({msgId: '1', methodName: 'A.b'})
    const bytes = Buffer.concat([corrupt(), good])
    d.decode(bytes, 0, bytes.length, out)
    expect(d.pendingError).toBeUndefined()
    expect(out.map((e) => (e.kind === 'frame' ? 'frame' : e.code))).toEqual(['PK_LEN_TOO_LARGE', 'frame'])
  })
})
