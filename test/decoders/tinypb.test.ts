import {describe, expect, it} from 'vitest'

import {
  decodeFrame,
  describeErrorCode,
  encodedLength,
  encodeFrame,
  errorCodeName,
  type FrameError,
  peerSafety,
  type StreamEvent,
  type TinyPbFrame,
  TinyPbStreamDecoder,
} from '../../decoders/tinypb/index.js'
import {type DecodeIssue, TcpBuffer, TinyPbCoder} from '../../src/net/index.js'
import {MAKE_ORDER_REPLY, MAKE_ORDER_REQUEST} from '../fixtures/tinypb-frames.js'

function decodeOne(bytes: Buffer): TinyPbFrame {
  const r = decodeFrame(bytes, 0, bytes.length)
  if (r.kind !== 'frame') throw new Error(`expected a frame, got ${JSON.stringify(r)}`)
  expect(r.next).toBe(bytes.length)
  return r.frame
}

function decodeAll(bytes: Buffer, opts: {maxFrame?: number} = {}): StreamEvent[] {
  const out: StreamEvent[] = []
  new TinyPbStreamDecoder(opts).finish(bytes, 0, bytes.length, out)
  return out
}

function errorOf(bytes: Buffer, maxFrame?: number): FrameError {
  const r = decodeFrame(bytes, 0, bytes.length, maxFrame)
  if (r.kind !== 'error') throw new Error(`expected an error, got ${r.kind}`)
  return r
}

/** A frame header with chosen lengths, padded with zero bytes to pkLen and closed with 0x03. */
function rawFrame(pkLen: number, lens: {msgId?: number; method?: number; errInfo?: number} = {}): Buffer {
  const b = Buffer.alloc(Math.max(pkLen, 26))
  b[0] = 0x02
  b.writeInt32BE(pkLen, 1)
  const l1 = lens.msgId ?? 0
  b.writeInt32BE(l1, 5)
  const p2 = 9 + Math.max(0, l1)
  if (p2 + 4 <= b.length) b.writeInt32BE(lens.method ?? 0, p2)
  const p3 = p2 + 4 + Math.max(0, lens.method ?? 0)
  if (p3 + 8 <= b.length) b.writeInt32BE(lens.errInfo ?? 0, p3 + 4)
  b[b.length - 1] = 0x03
  return b
}

describe('real frames from TINYPB.md', () => {
  it('decodes the makeOrder request field by field', () => {
    const f = decodeOne(MAKE_ORDER_REQUEST)
    expect(f.pkLen).toBe(70)
    expect(f.msgId).toBe('20000000000000000001')
    expect(f.methodName).toBe('Order.makeOrder')
    expect(f.errCode).toBe(0)
    expect(f.errInfo).toBe('')
    expect(f.pbData.toString('hex')).toBe('086412056170706c65')
    expect(f.checksum).toBe(1)
    expect(peerSafety(f)).toEqual([])
  })

  it('decodes the reply', () => {
    const f = decodeOne(MAKE_ORDER_REPLY)
    expect(f.pkLen).toBe(71)
    expect(f.msgId).toBe('20000000000000000001')
    expect(f.pbData.toString()).toBe('\x1a\x0820230514')
    expect(f.toJSON()).toEqual({
      msgId: '20000000000000000001',
      methodName: 'Order.makeOrder',
      errCode: 0,
      errInfo: '',
      pbDataLen: 10,
      pkLen: 71,
      checksum: 1,
    })
  })

  it('hands out views of the input, not copies', () => {
    const f = decodeOne(MAKE_ORDER_REQUEST)
    expect(f.pbData.buffer).toBe(MAKE_ORDER_REQUEST.buffer)
    expect(f.msgIdBytes.byteOffset).toBe(MAKE_ORDER_REQUEST.byteOffset + 9)
  })
})

describe('round trips', () => {
  it('encode(decode(bytes)) reproduces the real frames byte for byte', () => {
    for (const bytes of [MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY]) {
      expect(encodeFrame(decodeOne(bytes).toMessage()).equals(bytes)).toBe(true)
    }
  })

  it('decode(encode(x)) gives x back, including negative codes, UTF-8 and an odd checksum', () => {
    const cases = [
      {msgId: '99998888', methodName: 'Order.makeOrder', errCode: 0, errInfo: '', pbData: Buffer.from('0864', 'hex'), checksum: 1},
      {msgId: '', methodName: 'x', errCode: -1, errInfo: 'short balance — 余额不足', pbData: Buffer.alloc(0), checksum: 0xdeadbeef | 0},
      {msgId: '1'.repeat(20), methodName: 'pkg.QueryService.query_name', errCode: 10000009, errInfo: 'not found method_name:[x]', pbData: Buffer.alloc(300, 7), checksum: 1},
    ]
    for (const m of cases) {
      const bytes = encodeFrame(m)
      expect(bytes.length).toBe(encodedLength(m))
      const f = decodeOne(bytes)
      expect({msgId: f.msgId, methodName: f.methodName, errCode: f.errCode, errInfo: f.errInfo, pbData: Buffer.from(f.pbData), checksum: f.checksum}).toEqual(m)
    }
  })

  it('reports the checksum and does not enforce it', () => {
    const bytes = encodeFrame({msgId: '1', methodName: 'A.b', checksum: 0x12345678})
    expect(decodeOne(bytes).checksum).toBe(0x12345678)
  })
})

describe('errors, with stable codes and offsets', () => {
  it('BAD_START on a first byte other than 0x02', () => {
    const e = errorOf(Buffer.from('hello'))
    expect([e.code, e.offset]).toEqual(['BAD_START', 0])
  })

  it('BAD_END when the byte at start + pk_len - 1 is not 0x03', () => {
    const b = Buffer.from(MAKE_ORDER_REQUEST)
    b[b.length - 1] = 0x04
    expect(errorOf(b)).toMatchObject({code: 'BAD_END', offset: 0, pkLen: 70})
  })

  it('PK_LEN_TOO_SMALL below 26, including negative values', () => {
    for (const pk of [0, 25, -1, -0x80000000]) {
      const b = rawFrame(26)
      b.writeInt32BE(pk, 1)
      expect(errorOf(b)).toMatchObject({code: 'PK_LEN_TOO_SMALL', pkLen: pk})
    }
  })

  it('PK_LEN_TOO_LARGE from the 5-byte header alone, without waiting or allocating', () => {
    const head = Buffer.from([0x02, 0x7f, 0xff, 0xff, 0xff])
    const before = process.memoryUsage().arrayBuffers
    expect(errorOf(head)).toMatchObject({code: 'PK_LEN_TOO_LARGE', pkLen: 0x7fffffff})
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024)
  })

  it('the maximum frame size is configurable', () => {
    expect(decodeFrame(MAKE_ORDER_REQUEST, 0, 70, 70).kind).toBe('frame')
    expect(errorOf(MAKE_ORDER_REQUEST, 69)).toMatchObject({code: 'PK_LEN_TOO_LARGE'})
  })

  it('FIELD_OVERRUN names the field whose length runs past pk_len or is negative', () => {
    expect(errorOf(rawFrame(40, {msgId: 100}))).toMatchObject({code: 'FIELD_OVERRUN', field: 'msg_id', fieldLen: 100})
    expect(errorOf(rawFrame(40, {msgId: -5}))).toMatchObject({code: 'FIELD_OVERRUN', field: 'msg_id', fieldLen: -5})
    expect(errorOf(rawFrame(40, {msgId: 2, method: 30}))).toMatchObject({code: 'FIELD_OVERRUN', field: 'method_name', fieldLen: 30})
    expect(errorOf(rawFrame(40, {msgId: 2, method: -1}))).toMatchObject({code: 'FIELD_OVERRUN', field: 'method_name'})
    expect(errorOf(rawFrame(40, {msgId: 2, method: 2, errInfo: 20}))).toMatchObject({code: 'FIELD_OVERRUN', field: 'err_info', fieldLen: 20})
  })

  it('FIELD_OVERRUN is found from the header, before the rest of a large claimed frame arrives', () => {
    const head = rawFrame(1000, {msgId: 5000}).subarray(0, 9)
    expect(errorOf(head)).toMatchObject({code: 'FIELD_OVERRUN', field: 'msg_id'})
  })

  it('NEGATIVE_PB_LEN when every field fits but together they eat the trailer', () => {
    // pk_len 40: 14 bytes for fields; msg_id 10 + method 2 + err_info 4 = 16 > 14.
    expect(errorOf(rawFrame(40, {msgId: 10, method: 2, errInfo: 4}))).toMatchObject({code: 'NEGATIVE_PB_LEN', pkLen: 40})
  })

  it('incomplete input says how many bytes the next check needs, so a bad length is never held back', () => {
    expect(decodeFrame(MAKE_ORDER_REQUEST, 0, 0)).toEqual({kind: 'incomplete', need: 1})
    expect(decodeFrame(MAKE_ORDER_REQUEST, 0, 3)).toEqual({kind: 'incomplete', need: 2}) // pk_len
    expect(decodeFrame(MAKE_ORDER_REQUEST, 0, 5)).toEqual({kind: 'incomplete', need: 4}) // msg_id_len
    expect(decodeFrame(MAKE_ORDER_REQUEST, 0, 9)).toEqual({kind: 'incomplete', need: 24}) // msg_id + method_name_len
    expect(decodeFrame(MAKE_ORDER_REQUEST, 0, 33)).toEqual({kind: 'incomplete', need: 23}) // method_name + err_code + err_info_len
    expect(decodeFrame(MAKE_ORDER_REQUEST, 0, 56)).toEqual({kind: 'incomplete', need: 14}) // the rest of the frame
  })

  it('a live connection reports a bad header at once, not after pk_len bytes', () => {
    const coder = new TinyPbCoder()
    const input = new TcpBuffer()
    const out: Array<StreamEvent | DecodeIssue> = []
    // A header claiming 64 KiB whose method_name_len (arriving later) is negative, then a good frame.
    input.append(Buffer.from('02000100000000001432303030303030303030303030303030303030303031', 'hex'))
    coder.decode(input, out)
    expect(out).toEqual([])
    input.append(Buffer.concat([Buffer.from('ffffffff', 'hex'), MAKE_ORDER_REQUEST]))
    coder.decode(input, out)
    expect(out.map((e) => (e.kind === 'frame' ? 'frame' : e.code))).toEqual(['FIELD_OVERRUN', 'frame'])
    // And a few bytes of garbage are reported once a start byte follows, without waiting for 26 bytes.
    out.length = 0
    input.append(Buffer.from('hello\n\x02'))
    coder.decode(input, out)
    expect(out).toMatchObject([{code: 'BAD_START', skipped: 6}])
  })
})

describe('stream decoding and resync', () => {
  it('skips garbage like the C++ servers and reports how many bytes it skipped', () => {
    const events = decodeAll(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n'), MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY]))
    expect(events.map((e) => e.kind)).toEqual(['error', 'frame', 'frame'])
    expect(events[0]).toMatchObject({code: 'BAD_START', offset: 0, skipped: 16})
  })

  it('resyncs after a bad frame at the next 0x02, even inside the bad frame', () => {
    const bad = Buffer.from(MAKE_ORDER_REQUEST)
    bad[bad.length - 1] = 0xff
    const events = decodeAll(Buffer.concat([bad, MAKE_ORDER_REPLY]))
    expect(events.map((e) => (e.kind === 'frame' ? e.msgId : e.code))).toEqual(['BAD_END', '20000000000000000001'])
    expect((events[0] as FrameError).skipped).toBe(70)
  })

  it('error offsets are stream positions across chunks', () => {
    const d = new TinyPbStreamDecoder()
    const out: StreamEvent[] = []
    const a = Buffer.concat([MAKE_ORDER_REQUEST, Buffer.from('xx')])
    d.decode(a, 0, a.length, out)
    d.finish(MAKE_ORDER_REPLY, 0, MAKE_ORDER_REPLY.length, out)
    expect(out.map((e) => (e.kind === 'frame' ? 'frame' : [e.code, e.offset, e.skipped]))).toEqual(['frame', ['BAD_START', 70, 2], 'frame'])
  })

  it('a stray 0x02 claiming a long frame does not hide the frames behind it when the stream ends', () => {
    // A consistent header claiming pk_len 4096 with empty fields: everything after it looks like pb_data.
    const stray = rawFrame(26).subarray(0, 21)
    stray.writeInt32BE(4096, 1)
    const events = decodeAll(Buffer.concat([stray, MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY]))
    expect(events.map((e) => (e.kind === 'frame' ? 'frame' : e.code))).toEqual(['TRUNCATED', 'frame', 'frame'])
    expect(events[0]).toMatchObject({offset: 0, skipped: 21, pkLen: 4096})
  })

  it('a stream cut inside a frame reports TRUNCATED', () => {
    const events = decodeAll(Buffer.concat([MAKE_ORDER_REQUEST, MAKE_ORDER_REPLY.subarray(0, 40)]))
    expect(events.map((e) => (e.kind === 'frame' ? 'frame' : e.code))).toEqual(['frame', 'TRUNCATED'])
    expect(events[1]).toMatchObject({offset: 70, skipped: 40, pkLen: 71})
  })
})

describe('peer-safety findings', () => {
  const codes = (m: Parameters<typeof encodeFrame>[0], role: 'request' | 'response' = 'request') =>
    peerSafety(decodeOne(encodeFrame(m)), role).map((f) => f.code)

  it('flags each way a frame crashes, drops or misroutes a C++ peer', () => {
    expect(codes({msgId: '1'.repeat(49), methodName: 'A.b'})).toEqual([])
    expect(codes({msgId: '1'.repeat(50), methodName: 'A.b'})).toEqual(['MSG_ID_TOO_LONG'])
    expect(peerSafety(decodeOne(encodeFrame({msgId: '1'.repeat(100), methodName: 'A.b'})))[0].peers).toEqual(['tinyrpc', 'rocket'])
    expect(codes({msgId: '1', methodName: 'A.' + 'b'.repeat(510)})).toContain('METHOD_NAME_TOO_LONG')
    expect(codes({msgId: '1', methodName: 'A.' + 'b'.repeat(509)})).not.toContain('METHOD_NAME_TOO_LONG')
    expect(codes({msgId: '1', methodName: 'A.b', pbData: Buffer.alloc(128 - 26 - 4)})).toEqual(['FRAME_DROPPED_BY_ROCKET'])
    expect(codes({msgId: '1', methodName: 'A.b', pbData: Buffer.alloc(128 - 26 - 5)})).toEqual([])
    expect(codes({msgId: '1', methodName: 'pkg.Order.makeOrder'})).toEqual(['METHOD_HAS_PACKAGE'])
    expect(codes({msgId: '1', methodName: 'makeOrder'})).toEqual(['METHOD_WITHOUT_DOT'])
    expect(codes({msgId: '', methodName: 'A.b'})).toEqual(['EMPTY_MSG_ID'])
    expect(codes({msgId: '1', methodName: 'A.b', errInfo: 'e'.repeat(512)}, 'response')).toEqual(['ERR_INFO_TOO_LONG'])
  })

  it('dispatch findings apply to requests only', () => {
    expect(codes({msgId: '', methodName: 'pkg.Order.makeOrder'}, 'response')).toEqual([])
  })

  it('a reply of 128 bytes or more is not dropped: rocket loses large request frames only', () => {
    // A normal 221-byte reply (20-digit msg_id, Order.makeOrder, 160 bytes of pb_data).
    const reply = {msgId: '2'.repeat(20), methodName: 'Order.makeOrder', pbData: Buffer.alloc(160)}
    expect(encodeFrame(reply).length).toBe(221)
    expect(codes(reply, 'response')).toEqual([])
    expect(codes(reply, 'request')).toEqual(['FRAME_DROPPED_BY_ROCKET'])
  })

  it('explains the rocket package misroute in words', () => {
    const [f] = peerSafety(decodeOne(encodeFrame({msgId: '1', methodName: 'shop.Order.makeOrder'})))
    expect(f.message).toContain('service "shop"')
  })

  it('escapes control characters of the method name in its messages', () => {
    const [pkg] = peerSafety(decodeOne(encodeFrame({msgId: '1', methodName: '\u001b[2J.\u009b31m.makeOrder'})))
    expect(pkg.message).toContain('method_name "\\x1b[2J.\\x9b31m.makeOrder" has a package')
    expect(pkg.message).toContain('service "\\x1b[2J"')
    const [dotless] = peerSafety(decodeOne(encodeFrame({msgId: '1', methodName: 'make\u202eOrder'})))
    expect(dotless.message).toContain('method_name "make\\u{202e}Order"')
    for (const f of [pkg, dotless]) expect(f.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/)
  })
})

describe('error-code names', () => {
  it('names 10000000..10000012 in both dialects', () => {
    expect(errorCodeName(10000000)).toBe('ERROR_PEER_CLOSED')
    expect(errorCodeName(10000007, 'tinyrpc')).toBe('ERROR_RPC_CALL_TIMEOUT')
    expect(errorCodeName(10000011, 'rocket')).toBe('ERROR_RPC_CHANNEL_INIT')
    expect(errorCodeName(10000011, 'tinyrpc')).toBe('ERROR_NOT_SET_ASYNC_PRE_CALL')
    expect(errorCodeName(10000012, 'rocket')).toBe('ERROR_RPC_PEER_ADDR')
    expect(errorCodeName(10000012, 'tinyrpc')).toBe('ERROR_CONNECT_SYS_ERR')
    expect(errorCodeName(10000013)).toBeUndefined()
    expect(errorCodeName(-1)).toBeUndefined()
    expect(errorCodeName(0)).toBeUndefined()
  })

  it('describes codes for output whichever framework sent them', () => {
    expect(describeErrorCode(0)).toBe('OK')
    expect(describeErrorCode(10000008)).toBe('ERROR_SERVICE_NOT_FOUND')
    expect(describeErrorCode(10000011)).toBe('ERROR_RPC_CHANNEL_INIT (rocket) / ERROR_NOT_SET_ASYNC_PRE_CALL (tinyrpc)')
    expect(describeErrorCode(-1)).toBe('application error -1')
  })
})
