import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {encodeFrame} from '../../decoders/tinypb/index.js'
import {describeChunk} from '../../src/render/chunk-view.js'
import {hexdump} from '../../src/render/hexdump.js'

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8')

describe('describeChunk', () => {
  it('shows an echo request as text lines, CRLF and the final newline not repeated', () => {
    const v = describeChunk(utf8('hello\r\nworld\n'))
    expect(v).toEqual({kind: 'text', length: 13, shown: 13, omitted: 0, text: 'hello\r\nworld\n', lines: ['hello', 'world']})
  })

  it('keeps empty lines and tabs', () => {
    expect(describeChunk(utf8('a\n\n\tb')).lines).toEqual(['a', '', '\tb'])
  })

  it('shows a real TinyPB frame as a hex dump (binary)', () => {
    const frame = encodeFrame({msgId: '20000000000000000001', methodName: 'Order.makeOrder', pbData: Buffer.from('086412056170706c65', 'hex')})
    const v = describeChunk(frame)
    expect(v.kind).toBe('binary')
    expect(v.lines).toEqual(hexdump(frame))
    expect(v.lines[0]).toBe('0000  02 00 00 00 46 00 00 00  14 32 30 30 30 30 30 30  ....F....2000000')
    expect(describeChunk(frame, {offset: 0x40}).lines[0].startsWith('0040  02')).toBe(true)
  })

  it('turns to a hex dump on a lone CR, which would overwrite the line on a terminal', () => {
    expect(describeChunk(utf8('100%\rdone')).kind).toBe('binary')
    expect(describeChunk(utf8('line\r')).kind).toBe('text') // CRLF cut by the chunk boundary
  })

  it('stays text when TCP cut a UTF-8 character at either edge, the cut bytes as \\xNN', () => {
    const s = utf8('café 日本!')
    for (let cut = 1; cut < s.length; cut++) {
      const a = describeChunk(s.subarray(0, cut))
      const b = describeChunk(s.subarray(cut))
      expect(a.kind, `head cut at ${cut}`).toBe('text')
      expect(b.kind, `tail cut at ${cut}`).toBe('text')
    }
    expect(describeChunk(s.subarray(0, 4))).toMatchObject({kind: 'text', text: 'caf\\xc3'})
    expect(describeChunk(s.subarray(4))).toMatchObject({kind: 'text', text: '\\xa9 日本!'})
    // Only the cut piece is tolerated, never a chunk made of nothing else.
    expect(describeChunk(s.subarray(3, 4)).kind).toBe('binary')
  })

  it('limits what it shows with maxBytes and says how much was left out', () => {
    expect(describeChunk(utf8('0123456789'), {maxBytes: 4})).toMatchObject({kind: 'text', text: '0123', shown: 4, omitted: 6})
    const bin = describeChunk(new Uint8Array(100), {maxBytes: 20})
    expect(bin).toMatchObject({kind: 'binary', length: 100, shown: 20, omitted: 80})
    expect(bin.lines).toHaveLength(2)
    expect(describeChunk(utf8('日本'), {maxBytes: 4})).toMatchObject({kind: 'text', text: '日\\xe6'})
  })

  it('never throws and always accounts for the bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 300}), fc.option(fc.nat(400), {nil: undefined}), (b, maxBytes) => {
        const v = describeChunk(b, {maxBytes})
        expect(v.shown + v.omitted).toBe(b.length)
        if (v.kind === 'binary') expect(v.lines).toHaveLength(Math.ceil(v.shown / 16))
        else expect(v.lines.join('').length).toBeLessThanOrEqual(v.text.length)
      }),
    )
  })

  it('shows any printable string as exactly that text (property)', () => {
    const printable = fc.string({unit: fc.constantFrom('a', 'Z', ' ', '\t', '\n', '\r\n', 'é', '日', '🙂', '"', '\\', '{', '~'), maxLength: 60})
    fc.assert(
      fc.property(printable, (s) => {
        const v = describeChunk(utf8(s))
        expect(v.kind).toBe('text')
        if (v.kind === 'text') expect(v.text).toBe(s)
      }),
    )
  })
})
