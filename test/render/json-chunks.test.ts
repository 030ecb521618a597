// writeJsonLine writes JSON.stringify's text and a newline, encoded a chunk at a
// time into memory it reuses once a write has let go of it.
import {describe, expect, it} from 'vitest'

import {jsonPieces, type JsonOut, writeJsonLine} from '../../src/render/json-chunks.js'

/**
 * A stream that copies what it is given (as a file or a pipe that takes the
 * bytes at once), or, with queued, keeps the chunk itself and reports it
 * queued (a pipe whose reader is slow): its memory must then not be written again.
 */
function sink(kind: 'copies' | 'queued' | 'plain'): JsonOut & {chunks: Array<string | Uint8Array>; text(): string} {
  const chunks: Array<string | Uint8Array> = []
  const out = {
    chunks,
    write(chunk: string | Uint8Array) {
      chunks.push(kind === 'copies' && typeof chunk !== 'string' ? Uint8Array.from(chunk) : chunk)
      return true
    },
    text: () => Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c))).toString('utf8'),
  }
  if (kind === 'plain') return out
  return Object.defineProperty(out, 'writableLength', {get: () => (kind === 'queued' ? chunks.length : 0)})
}

describe('writeJsonLine', () => {
  const row = (i: number) => ({protocol: 'tcp', port: i, name: `p\u00e9\u{1F600}"${i}\n`, owners: [{pid: i, fd: 3}], skip: undefined, pidMissing: i % 2 ? null : 'kernel'})
  const cases: Array<[string, unknown]> = [
    ['a report-like document', {collectedAt: new Date(0), source: 'proc', sockets: Array.from({length: 500}, (_, i) => row(i)), summary: {tcp: {states: {LISTEN: 1}}}, gone: undefined, fn: () => 1}],
    ['arrays with holes of undefined, functions and symbols', [1, undefined, () => 2, Symbol('x'), [undefined, 3], {a: undefined, b: [undefined]}, null, 'x']],
    ['values with toJSON at every depth', {a: {toJSON: () => ({deep: [1, {toJSON: () => 'y'}]})}, b: [{toJSON: () => undefined}, new Date(5)], c: new Date(7)}],
    ['scalars', 42],
    ['a string', 'he said "hi"\u2028'],
    ['null', null],
    ['empty containers', {a: [], b: {}, c: [[]], d: [{}]}],
    ['nested deeper than the walk', {a: [[[[1, 2, {x: undefined, y: [undefined]}]]]]}],
  ]
  for (const [name, value] of cases) {
    it(`pieces join to JSON.stringify: ${name}`, () => {
      const pieces: string[] = []
      jsonPieces(value, (p) => pieces.push(p))
      expect(pieces.join('')).toBe(JSON.stringify(value))
    })
    it(`writes JSON.stringify and a newline to every kind of stream: ${name}`, () => {
      for (const kind of ['copies', 'queued', 'plain'] as const) {
        const out = sink(kind)
        writeJsonLine(out, value)
        expect(out.text(), kind).toBe(`${JSON.stringify(value)}\n`)
      }
    })
  }

  // 20,000 rows of about 100 bytes: 2 MB, in 64 KB chunks, with a character of
  // 2, 3 and 4 UTF-8 bytes in each row, so chunk ends fall beside them.
  const big = {sockets: Array.from({length: 20_000}, (_, i) => row(i))}
  const bigText = `${JSON.stringify(big)}\n`

  it('writes a large document in chunks, not in one piece nor a write per row', () => {
    const out = sink('copies')
    writeJsonLine(out, big)
    expect(out.text()).toBe(bigText)
    expect(out.chunks.length).toBeGreaterThan(20)
    expect(out.chunks.length).toBeLessThan(200)
    for (const c of out.chunks) expect(typeof c).not.toBe('string')
  })

  it('reuses a chunk only once the stream has let go of it', () => {
    // Kept chunks that the writer went on to overwrite would not join back to the text.
    const queued = sink('queued')
    writeJsonLine(queued, big)
    expect(queued.text()).toBe(bigText)
    const buffers = new Set(queued.chunks.map((c) => (c as Uint8Array).buffer))
    expect(buffers.size).toBe(queued.chunks.length)
    // A stream that took the bytes: one buffer serves every chunk.
    const copied: Uint8Array[] = []
    writeJsonLine(
      {
        write: (c: string | Uint8Array) => copied.push(c as Uint8Array),
        writableLength: 0,
      },
      big,
    )
    expect(new Set(copied.map((c) => c.buffer)).size).toBe(1)
  })

  it('writes rows that together outgrow a chunk (32 rows of ~3 KB) in their place', () => {
    const value = {sockets: Array.from({length: 70}, (_, i) => ({i, s: `\u00e9\u{1F600}${'y'.repeat(3000)}${i}`}))}
    for (const kind of ['copies', 'queued', 'plain'] as const) {
      const out = sink(kind)
      writeJsonLine(out, value)
      expect(out.text(), kind).toBe(`${JSON.stringify(value)}\n`)
    }
  })

  it('writes a piece too long for a chunk as it is, in its place', () => {
    const long = 'x\u00e9'.repeat(40_000)
    const value = {a: 1, rows: [{s: long}, 2, {s: long}], z: 'end'}
    for (const kind of ['copies', 'queued'] as const) {
      const out = sink(kind)
      writeJsonLine(out, value)
      expect(out.text()).toBe(`${JSON.stringify(value)}\n`)
      expect(out.chunks.some((c) => typeof c === 'string')).toBe(true)
    }
  })
})
