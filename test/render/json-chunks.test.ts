// jsonChunks hands out JSON.stringify's text in pieces: joined, the same text.
import {describe, expect, it} from 'vitest'

import {jsonChunks} from '../../src/render/json-chunks.js'

const chunksOf = (v: unknown, size?: number) => {
  const chunks: string[] = []
  jsonChunks(v, (c) => chunks.push(c), size)
  return chunks
}
const joined = (v: unknown, size?: number) => chunksOf(v, size).join('')

describe('jsonChunks', () => {
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
    it(`equals JSON.stringify: ${name}`, () => {
      for (const size of [1, 7, 64, 65_536]) expect(joined(value, size)).toBe(JSON.stringify(value))
    })
  }

  it('hands out pieces of about the asked size, not one string', () => {
    const doc = {rows: Array.from({length: 2000}, (_, i) => row(i))}
    const chunks = chunksOf(doc, 4096)
    expect(chunks.length).toBeGreaterThan(10)
    // Each chunk but the last reaches the size and overshoots it by at most one row.
    const longestRow = Math.max(...doc.rows.map((r) => JSON.stringify(r).length))
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(4096)
      expect(c.length).toBeLessThan(4096 + longestRow + 2)
    }
  })
})
