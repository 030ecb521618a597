import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {chunkToJson, isPrintableText, printableText, quoteBytes} from '../../decoders/string/index.js'

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8')
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)

describe('printableText', () => {
  it('accepts ASCII and UTF-8 text with tabs, LF and CR', () => {
    for (const s of ['', 'hello', 'a\tb\r\nc\n', 'café 日本 🙂', 'order_id=20230514']) expect(printableText(utf8(s))).toBe(s)
  })

  it('refuses what a terminal would act on or cannot show', () => {
    const refused: Array<[string, Uint8Array]> = [
      ['NUL', bytes(0x61, 0x00)],
      ['ESC (starts escape sequences)', utf8('\x1b[31mred')],
      ['BEL', bytes(0x07)],
      ['DEL', bytes(0x7f)],
      ['C1 control U+0085', bytes(0xc2, 0x85)],
      ['C1 CSI U+009B', bytes(0xc2, 0x9b)],
      ['bidi override U+202E', utf8('abc\u202edef')],
      ['bidi isolate U+2066', utf8('\u2066x')],
      ['invalid UTF-8', bytes(0x61, 0xff)],
      ['overlong NUL c0 80', bytes(0xc0, 0x80)],
      ['UTF-16 surrogate ed a0 80', bytes(0xed, 0xa0, 0x80)],
      ['truncated sequence', bytes(0x61, 0xe6, 0x97)],
    ]
    for (const [what, b] of refused) expect(printableText(b), what).toBeUndefined()
  })
})


/** Undo quoteBytes, to prove it loses nothing. */
function unquote(q: string): Buffer {
  expect(q.startsWith('"') && q.endsWith('"')).toBe(true)
  const out: number[] = []
  const body = q.slice(1, -1)
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (c !== '\\') {
      out.push(...utf8(String.fromCodePoint(body.codePointAt(i)!)))
      if (body.codePointAt(i)! > 0xffff) i++
      continue
    }
    const e = body[++i]
    if (e === 'x') {
      out.push(parseInt(body.slice(i + 1, i + 3), 16))
      i += 2
    } else out.push({t: 9, n: 10, r: 13, '"': 0x22, '\\': 0x5c}[e]!)
  }
  return Buffer.from(out)
}

describe('quoteBytes and chunkToJson', () => {
  it('quotes a chunk on one line', () => {
    expect(quoteBytes(utf8('GET / HTTP/1.1\r\n'))).toBe('"GET / HTTP/1.1\\r\\n"')
    expect(quoteBytes(utf8('tab\there "q" é'))).toBe('"tab\\there \\"q\\" é"')
    expect(quoteBytes(bytes(0x02, 0x41, 0x1b, 0xff, 0x0a))).toBe('"\\x02A\\x1b\\xff\\n"')

  })

  it('quotes only the first maxBytes of a long chunk, never cutting a UTF-8 character', () => {
    expect(quoteBytes(utf8('hello world'), 5)).toBe('"hello"...')
    expect(quoteBytes(utf8('hello'), 5)).toBe('"hello"')
    expect(quoteBytes(utf8('ab日本'), 4)).toBe('"ab"...')
    expect(quoteBytes(utf8('ab日本'), 5)).toBe('"ab日"...')
    expect(quoteBytes(bytes(1, 0x80, 0x80, 0x80, 0x80, 0x80), 5)).toBe('"\\x01\\x80"...') // backs off at most 3 bytes
    expect(quoteBytes(new Uint8Array(1 << 16).fill(0x41), 8)).toBe('"AAAAAAAA"...')
  })

  it('quoteBytes is one line and lossless for any bytes (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({maxLength: 80}), fc.string({unit: 'grapheme', maxLength: 20}).map(utf8)), (b) => {
        const q = quoteBytes(b)
        expect(q).not.toMatch(/[\n\r\x1b]/)
        expect(unquote(q)).toEqual(Buffer.from(b))
      }),
    )
  })

  it('chunkToJson is exact text or hex, lossless either way (property)', () => {
    expect(chunkToJson(utf8('hi\n'))).toEqual({length: 3, encoding: 'utf8', data: 'hi\n'})
    expect(chunkToJson(bytes(2, 0, 3))).toEqual({length: 3, encoding: 'hex', data: '020003'})
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({maxLength: 80}), fc.string({maxLength: 40}).map(utf8)), (b) => {
        const j = JSON.parse(JSON.stringify(chunkToJson(b)))
        expect(Buffer.from(j.data, j.encoding)).toEqual(Buffer.from(b))
        expect(j.encoding === 'utf8').toBe(isPrintableText(b))
      }),
    )
  })
})

