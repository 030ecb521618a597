import {chunkToJson, isShowableCodeUnit, printableText, quoteBytes} from '../../decoders/string/index.js'
import {describeChunk} from '../../src/render/chunk-view.js'
import {decodeRaw, formatRaw, rawToJson, type RawField} from '../../decoders/protobuf-raw/index.js'
import {
  DEFAULT_MAX_FRAME,
  FIXED_OVERHEAD,
  MIN_FRAME,
  MSG_ID_AT,
  TinyPbStreamDecoder,
  decodeFrame,
  encodeFrame,
  peerSafety,
  type FrameError,
  type StreamEvent,
  type TinyPbFrame,
} from '../../decoders/tinypb/index.js'
import {IterationBudget, corruptInt32At, type FuzzTarget, type Mutator} from './harness.js'
import {genMessage, nestedGroups, nestedMessages} from './protobuf-gen.js'
import {Rng} from './rng.js'

// The fuzz targets: each decoder with seeds made of real frames and payloads,
// and the invariants that must hold for ANY input, checked on every case.

class InvariantError extends Error {}

function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new InvariantError(what)
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

// ---- TinyPB seeds: the real frames of TINYPB.md and the shapes the C++ peers produce.

const pb = (h: string): Buffer => Buffer.from(h, 'hex')
const MSG_ID = '20000000000000000001'
export const TINYPB_SEEDS: readonly Buffer[] = [
  encodeFrame({msgId: MSG_ID, methodName: 'Order.makeOrder', pbData: pb('086412056170706c65')}), // the request of TINYPB.md
  encodeFrame({msgId: MSG_ID, methodName: 'Order.makeOrder', pbData: pb('1a083230323330353134')}), // its reply
  encodeFrame({msgId: MSG_ID, methodName: 'QueryService.query_name', errCode: 10000009, errInfo: 'not found method_name:[query_x]'}), // tinyrpc error reply
  encodeFrame({msgId: '', methodName: 'Order.makeOrder', pbData: pb('0864')}), // empty msg_id
  encodeFrame({msgId: '99998888', methodName: 'pkg.Order.makeOrder', pbData: pb('08ffffffffffffffffff01')}), // rocket test client id, packaged name
  encodeFrame({msgId: '', methodName: ''}), // the smallest legal frame: 26 bytes
  encodeFrame({msgId: 'x'.repeat(120), methodName: 'M.' + 'm'.repeat(600), errInfo: 'e'.repeat(520), pbData: new Uint8Array(300).fill(0x02)}), // crashes rocket
  encodeFrame({msgId: MSG_ID, methodName: 'Order.makeOrder', pbData: new Uint8Array(1500).fill(0x03), checksum: 7}),
]

/** Offsets of the int32 length fields of the frame starting at `at` (pk_len, msg_id_len, method_name_len, err_code, err_info_len, checksum). */
function tinypbLengthOffsets(input: Uint8Array): number[] {
  const out: number[] = []
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength)
  for (let at = input.indexOf(0x02); at !== -1 && at + MSG_ID_AT <= input.length; at = input.indexOf(0x02, at + 1)) {
    out.push(at + 1, at + 5)
    const msgIdLen = view.getInt32(at + 5, false)
    const m = at + MSG_ID_AT + msgIdLen
    if (msgIdLen < 0 || m + 4 > input.length) continue
    out.push(m)
    const nameLen = view.getInt32(m, false)
    const e = m + 4 + nameLen
    if (nameLen < 0 || e + 8 > input.length) continue
    out.push(e, e + 4)
    const pkLen = view.getInt32(at + 1, false)
    if (pkLen >= MIN_FRAME && at + pkLen <= input.length) out.push(at + pkLen - 5)
  }
  return out
}

const tinypbLengths: Mutator = corruptInt32At(tinypbLengthOffsets)

/** Several frames back to back, sometimes with garbage between them: what one TCP direction carries. */
function streamSeeds(): Uint8Array[] {
  const rng = new Rng(2)
  const out: Uint8Array[] = []
  for (let i = 0; i < 24; i++) {
    const parts: Uint8Array[] = []
    const n = rng.range(2, 6)
    for (let j = 0; j < n; j++) {
      if (rng.chance(0.3)) parts.push(rng.bytes(rng.range(1, 12)))
      parts.push(rng.pick(TINYPB_SEEDS.slice(0, 6))) // the frames up to 100 bytes: many per stream
    }
    out.push(Buffer.concat(parts))
  }
  return out
}

/** The frame's own consistency: layout arithmetic and a byte-exact re-encode. */
function checkFrame(f: TinyPbFrame, maxFrame: number): void {
  check(f.pkLen >= MIN_FRAME && f.pkLen <= maxFrame, `frame pk_len ${f.pkLen} out of range`)
  check(FIXED_OVERHEAD + f.msgIdLen + f.methodNameLen + f.errInfoLen + f.pbDataLen === f.pkLen, 'frame fields do not add up to pk_len')
  check(f.bytes[0] === 0x02 && f.bytes[f.pkLen - 1] === 0x03, 'frame without its start and end bytes')
  check(encodeFrame(f.toMessage()).equals(f.bytes), 'encode(decode(bytes)) differs from bytes')
  JSON.stringify(f.toJSON())
  peerSafety(f, 'request')
  peerSafety(f, 'response')
}

const ERROR_CODES = new Set(['BAD_START', 'BAD_END', 'PK_LEN_TOO_SMALL', 'PK_LEN_TOO_LARGE', 'FIELD_OVERRUN', 'NEGATIVE_PB_LEN', 'TRUNCATED'])

export const decodeFrameTarget: FuzzTarget = {
  name: 'decodeFrame',
  seeds: TINYPB_SEEDS,
  mutators: [tinypbLengths, tinypbLengths],
  maxLen: 2300,
  run(input, rng) {
    // Decode at an offset inside a larger buffer, sometimes with a small maximum frame size.
    const pad = rng.chance(0.3) ? rng.range(1, 7) : 0
    const buf = Buffer.alloc(input.length + pad + 3, 0xee)
    buf.set(input, pad)
    const end = pad + input.length
    const maxFrame = rng.chance(0.2) ? rng.range(MIN_FRAME, 200) : DEFAULT_MAX_FRAME
    const r = decodeFrame(buf, pad, end, maxFrame)
    const avail = end - pad
    if (r.kind === 'frame') {
      check(r.next === pad + r.frame.pkLen && r.next <= end, 'frame next offset')
      checkFrame(r.frame, maxFrame)
      // Any cut of a good frame is "incomplete", never an error, and never asks for more than the frame.
      const cut = pad + rng.int(r.frame.pkLen)
      const p = decodeFrame(buf, pad, cut, maxFrame)
      check(p.kind === 'incomplete' && p.need >= 1 && cut - pad + p.need <= r.frame.pkLen, `prefix of a frame gave ${p.kind}`)
    } else if (r.kind === 'incomplete') {
      check(r.need >= 1, 'incomplete with need < 1')
      check(avail + r.need <= Math.max(maxFrame, MIN_FRAME), `asks for ${r.need} more bytes, past the maximum frame size`)
    } else {
      check(ERROR_CODES.has(r.code) && r.code !== 'TRUNCATED', `unknown error code ${r.code}`)
      check(r.offset === pad, 'error offset is not the frame start')
      check(r.code === 'BAD_START' || buf[pad] === 0x02, 'frame error on a non-start byte')
    }
  },
}

/**
 * Feed a stream in chunks cut at `cuts`, presenting the unconsumed bytes again
 * followed by the new ones in fresh memory (old frame views stay valid), as a
 * TcpBuffer does; then finish it. With skipUntilNeed, decode is only called once
 * `need` bytes are there, as TinyPbCoder does. Returns the events.
 */
function feedStream(input: Uint8Array, cuts: number[], maxFrame: number, skipUntilNeed = false): StreamEvent[] {
  const d = new TinyPbStreamDecoder({maxFrame})
  const events: StreamEvent[] = []
  const guard = new IterationBudget(cuts.length + 2, 'TinyPbStreamDecoder.decode')
  let pending: Buffer = Buffer.alloc(0)
  let prev = 0
  for (const cut of [...cuts, input.length]) {
    guard.tick()
    const chunk = asBuffer(input.subarray(prev, cut))
    prev = cut
    const buf = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    if (skipUntilNeed && buf.length < d.need) {
      // The need hint never holds back bytes that already decode (an error found from the
      // header, and the frames behind it): TinyPbCoder gates on it, and a live connection
      // would stall until pk_len bytes arrived.
      check(buf.length === 0 || decodeFrame(buf, 0, buf.length, maxFrame).kind === 'incomplete', `need ${d.need} holds back ${buf.length} bytes that decode`)
      pending = buf
      continue
    }
    const before = d.streamPosition
    const at = d.decode(buf, 0, buf.length, events)
    check(at >= 0 && at <= buf.length, `decode returned ${at} outside [0, ${buf.length}]`)
    check(d.streamPosition === before + at, 'streamPosition does not follow the consumed offset')
    check(d.need >= 1, 'need < 1 after decode')
    pending = buf.subarray(at)
    if (pending.length > 0) {
      // What decode leaves behind is the start of a frame that needs more bytes, and need says at most how many.
      const r = decodeFrame(pending, 0, pending.length, maxFrame)
      check(r.kind === 'incomplete' && d.need <= r.need, `decode stopped before ${r.kind} (need ${d.need})`)
    }
  }
  d.finish(pending, 0, pending.length, events)
  return events
}

/** Equal keys in order place every frame at the same stream position, hence on the same bytes. */
function eventKey(e: StreamEvent): string {
  return e.kind === 'frame' ? `F${e.pkLen}` : `E${e.code}@${e.offset}+${e.skipped}`
}

export const streamTarget: FuzzTarget = {
  name: 'TinyPbStreamDecoder',
  seeds: streamSeeds(),
  mutators: [tinypbLengths, tinypbLengths, tinypbLengths],
  maxLen: 4000,
  run(input, rng) {
    const maxFrame = rng.chance(0.2) ? rng.range(MIN_FRAME, 300) : DEFAULT_MAX_FRAME
    const cuts: number[] = []
    const style = rng.int(10)
    // One byte at a time (short streams: each call re-presents the pending bytes), or random cuts.
    if (style === 0 && input.length <= 300) for (let i = 1; i < input.length; i++) cuts.push(i)
    else {
      const n = style < 5 ? rng.range(1, 4) : rng.range(1, 40)
      for (let i = 0; i < n; i++) cuts.push(rng.int(input.length + 1))
      cuts.sort((a, b) => a - b)
    }
    const split = feedStream(input, cuts, maxFrame, rng.chance(0.5))
    const whole = feedStream(input, [], maxFrame)
    // However the stream is cut, the events are the same.
    check(split.length === whole.length && split.every((e, i) => eventKey(e) === eventKey(whole[i])), 'events depend on where the stream was split')
    // Every byte is in exactly one frame or skipped by exactly one error, in stream order.
    let position = 0
    for (const e of whole) {
      if (e.kind === 'frame') {
        checkFrame(e, maxFrame)
        position += e.pkLen
      } else {
        const err = e as FrameError
        check(ERROR_CODES.has(err.code), `unknown error code ${err.code}`)
        check(err.offset === position, `error at ${err.offset}, expected stream position ${position}`)
        check(err.skipped >= 1, 'error that skipped nothing')
        position += err.skipped
      }
    }
    check(position === input.length, `frames and skipped bytes cover ${position} of ${input.length} bytes`)
  },
}

// ---- protobuf-raw

function protobufSeeds(): Uint8Array[] {
  const rng = new Rng(3)
  const out: Uint8Array[] = [pb('086412056170706c65'), pb('1a083230323330353134'), pb('08ffffffffffffffffff0112' + '0d' + Buffer.from('short balance').toString('hex'))]
  out.push(Uint8Array.from(nestedMessages(12)), Uint8Array.from(nestedGroups(12)), Uint8Array.from(nestedGroups(99)))
  for (let i = 0; i < 40; i++) out.push(Uint8Array.from(genMessage(rng, {overlong: 0.05})))
  return out
}

/** Insert a random tag byte: fields of every wire type and edge field numbers appear mid-message. */
const insertTag: Mutator = (input, rng) => {
  const at = rng.int(input.length + 1)
  const tag = rng.chance(0.5) ? (rng.range(1, 15) << 3) | rng.int(8) : rng.u32() & 0xff
  const out = new Uint8Array(input.length + 1)
  out.set(input.subarray(0, at))
  out[at] = tag
  out.set(input.subarray(at), at + 1)
  return out
}

function checkTiling(fields: readonly RawField[], start: number, end: number, complete: boolean): void {
  let at = start
  for (const f of fields) {
    check(f.offset === at && f.length > 0, `field at ${f.offset} (len ${f.length}) does not follow ${at}`)
    check(f.field >= 1 && f.field <= 0x1fffffff, `field number ${f.field}`)
    at += f.length
  }
  check(complete ? at === end : at <= end, `fields end at ${at}, input at ${end}`)
}

export const decodeRawTarget: FuzzTarget = {
  name: 'decodeRaw',
  seeds: protobufSeeds(),
  mutators: [insertTag, insertTag],
  maxLen: 1024,
  run(input, rng) {
    const opts = rng.chance(0.1) ? {maxDepth: rng.int(20)} : {}
    const r = decodeRaw(input, opts)
    checkTiling(r.fields, 0, input.length, r.error === undefined)
    if (r.error !== undefined) check(r.error.offset >= 0 && r.error.offset <= input.length, `error offset ${r.error.offset}`)
    // The renderers on a sample of cases: they are pure functions of the result, and slower than decoding.
    if (!rng.chance(0.125)) return
    const lines = formatRaw(r)
    check(lines.every((l) => !/[\n\r]/.test(l)), 'formatRaw line with a line break')
    const json = rawToJson(r)
    check(JSON.parse(JSON.stringify(json)).fields.length === r.fields.length, 'rawToJson lost fields')
    // Views: decoding the same bytes at an offset inside a larger buffer gives the same text.
    if (rng.chance(0.3)) {
      const big = new Uint8Array(input.length + 5)
      big.set(input, 3)
      const again = decodeRaw(big.subarray(3, 3 + input.length), opts)
      check(formatRaw(again).join('\n') === lines.join('\n') && again.error?.code === r.error?.code, 'result depends on byteOffset')
    }
  },
}

// ---- string protocol

const STRING_SEEDS: readonly Uint8Array[] = [
  Buffer.from('hello rocket\n'),
  Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  Buffer.from('café 日本 🙂\tok\n'),
  Buffer.from('order_id=20230514 ret_code=-1 res_info="short balance"'),
  TINYPB_SEEDS[0],
  new Uint8Array(64),
]

export const describeChunkTarget: FuzzTarget = {
  name: 'describeChunk',
  seeds: STRING_SEEDS,
  maxLen: 1500,
  run(input, rng) {
    const maxBytes = rng.chance(0.3) ? rng.int(input.length + 2) : undefined
    const v = describeChunk(input, {maxBytes})
    check(v.shown + v.omitted === input.length && v.shown <= (maxBytes ?? input.length), 'shown/omitted do not add up')
    if (v.kind === 'binary') check(v.lines.length === Math.ceil(v.shown / 16), 'hex dump line count')
    else {
      // Text output is terminal-safe: nothing but showable characters, no line breaks inside a line.
      for (const l of v.lines) {
        for (let i = 0; i < l.length; i++) {
          const c = l.charCodeAt(i)
          check(isShowableCodeUnit(c) && c !== 0x0a && c !== 0x0d, `text line holds U+${c.toString(16)}`)
        }
      }
    }
    const q = quoteBytes(input)
    check(!/[\x00-\x1f\x7f]/.test(q), 'quoteBytes let a control character through')
    const j = chunkToJson(input)
    check(Buffer.from(j.data, j.encoding).equals(asBuffer(input)), 'chunkToJson is not lossless')
    check((j.encoding === 'utf8') === (printableText(input) !== undefined), 'chunkToJson encoding')
  },
}

export const ALL_TARGETS: readonly FuzzTarget[] = [decodeFrameTarget, streamTarget, decodeRawTarget, describeChunkTarget]
