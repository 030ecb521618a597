import {once} from 'node:events'
import net from 'node:net'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {hexdump} from '../../decoders/hexdump.js'
import {
  StringChunkSequencer,
  chunkToJson,
  describeChunk,
  formatChunk,
  isPrintableText,
  printableText,
  quoteBytes,
  type StringChunk,
} from '../../decoders/string/index.js'
import {encodeFrame} from '../../decoders/tinypb/index.js'

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

describe('StringChunkSequencer and formatChunk', () => {
  it('numbers chunks per direction and places them by stream offset', () => {
    const s = new StringChunkSequencer<'>' | '<'>()
    const c = [s.next('>', utf8('ping\n')), s.next('<', utf8('ping\n')), s.next('>', utf8('again\n')), s.next('>', bytes(1, 2))]
    expect(c.map(({direction, seq, index, offset}) => [direction, seq, index, offset])).toEqual([
      ['>', 0, 0, 0],
      ['<', 1, 0, 0],
      ['>', 2, 1, 5],
      ['>', 3, 2, 11],
    ])
    expect(s.totalsFor('>')).toEqual({chunks: 3, bytes: 13})
    expect(s.totalsFor('<')).toEqual({chunks: 1, bytes: 5})
  })

  it('formats a chunk as a header and indented body', () => {
    const s = new StringChunkSequencer()
    expect(formatChunk(s.next('c2s', utf8('hello\n')), {label: '>'})).toEqual(['> #0 6 bytes at 0, text', '  hello'])
    const bin = formatChunk(s.next('c2s', new Uint8Array(40)), {label: '>', maxBytes: 16})
    expect(bin).toEqual(['> #1 40 bytes at 6, binary, first 16 shown', '  0006  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................', '  ... 24 more bytes'])
    expect(formatChunk(s.next('s2c', bytes(0x41)))[0]).toBe('s2c #0 1 byte at 0, text')
  })

  it('follows a real echo conversation over loopback TCP', async () => {
    // rocket's string protocol is an echo: the server writes back what one read returned.
    const server = net.createServer((sock) => sock.on('data', (d) => sock.write(d)).on('end', () => sock.end()))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const {port} = server.address() as net.AddressInfo
    const seqr = new StringChunkSequencer<'>' | '<'>()
    const chunks: StringChunk<'>' | '<'>[] = []
    const sent = [utf8('hello rocket\n'), bytes(0x02, 0x00, 0xff, 0x03), utf8('bye\r\n')]
    const client = net.connect(port, '127.0.0.1')
    client.on('data', (d) => chunks.push(seqr.next('<', d)))
    await once(client, 'connect')
    for (const b of sent) {
      chunks.push(seqr.next('>', b))
      client.write(b)
    }
    client.end()
    await once(client, 'close')
    server.close()
    const total = sent.reduce((n, b) => n + b.length, 0)
    expect(seqr.totalsFor('>')).toEqual({chunks: 3, bytes: total})
    expect(seqr.totalsFor('<').bytes).toBe(total)
    const back = Buffer.concat(chunks.filter((c) => c.direction === '<').map((c) => c.bytes))
    expect(back).toEqual(Buffer.concat(sent))
    // However the kernel split the echo, each chunk sits where the previous one ended.
    let at = 0
    for (const c of chunks.filter((c) => c.direction === '<')) {
      expect(c.offset).toBe(at)
      at += c.bytes.length
      expect(formatChunk(c, {label: '<'})[0]).toMatch(/^< #\d+ \d+ bytes? at \d+, (text|binary)$/)
    }
    expect(formatChunk(chunks[0], {label: '>'})).toEqual(['> #0 13 bytes at 0, text', '  hello rocket'])
    expect(formatChunk(chunks.find((c) => c.direction === '>' && c.index === 1)!, {label: '>'})[1]).toMatch(/^ {2}000d {2}02 00 ff 03/)
  })
})
