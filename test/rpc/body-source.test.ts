import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {readBodySource, readJsonBody} from '../../src/rpc/index.js'
import {locateJsonError} from '../../src/rpc/json-error.js'

/** A stdin whose writer is slow: each piece comes 20 ms after the one before. */
function slowStdin(pieces: string[]): () => Readable {
  return () =>
    new Readable({
      read() {
        const next = pieces.shift()
        setTimeout(() => this.push(next === undefined ? null : Buffer.from(next)), 20)
      },
    })
}

describe('request body sources', () => {
  it('reads stdin to its end however slowly it comes', async () => {
    const r = await readJsonBody('-', {stdin: slowStdin(['{"pri', 'ce": ', '12}', '\n'])})
    expect(r).toEqual({ok: true, value: {kind: 'json', value: {price: 12}}})
  })

  it('gives up on stdin, a device or a regular file past the limit, saying which', async () => {
    const big = await readBodySource('-', {maxBytes: 10, stdin: slowStdin(['0123456789', 'A'])})
    expect(!big.ok && [big.error.code, big.error.message]).toEqual(['BODY_TOO_LARGE', '--json - (stdin) is larger than the 10 B limit (--max-body)'])
    const zero = await readBodySource('@/dev/zero', {maxBytes: 1024 * 1024})
    expect(!zero.ok && zero.error.code).toBe('BODY_TOO_LARGE')
    const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-body-'))
    writeFileSync(join(dir, 'b.json'), '{"price": 123456}')
    const file = await readBodySource(`@${join(dir, 'b.json')}`, {maxBytes: 16})
    expect(!file.ok && file.error.message).toBe(`--json @${join(dir, 'b.json')} is 17 B, over the 16 B limit (--max-body)`)
    expect((await readBodySource(`@${join(dir, 'b.json')}`, {maxBytes: 17})).ok).toBe(true)
    const folder = await readBodySource(`@${dir}`)
    expect(!folder.ok && folder.error.message).toBe(`cannot read --json @${dir}: it is a directory`)
  })

  it('locates a JSON error by line and column, in words', () => {
    const cases: Array<[string, string]> = [
      ['{"a": }', 'at line 1, column 7: a value was expected'],
      ['{"a": 1,}', 'at line 1, column 9: a property name (in double quotes) was expected'],
      ['[1 2]', "at line 1, column 4: ',' was expected"],
      ['{}\n 1', 'at line 2, column 2: more text after the JSON value'],
      ['"abc', 'at line 1, column 1: a string is not closed'],
      ['{"a": 1} // note', 'at line 1, column 10: comments are not JSON'],
      ['root:x:0:0', 'at line 1, column 1: unexpected character'],
    ]
    for (const [text, where] of cases) {
      expect(() => JSON.parse(text)).toThrow()
      expect(locateJsonError(text)).toBe(where)
    }
  })

  it('never quotes the text it locates an error in', () => {
    fc.assert(
      fc.property(fc.string({minLength: 1, maxLength: 60}), (s) => {
        const text = `{"k": ${s}`
        let valid = true
        try {
          JSON.parse(text)
        } catch {
          valid = false
        }
        if (valid) return
        expect(locateJsonError(text)).toMatch(/^(at line \d+, column \d+: [A-Za-z' (){}[\],:\\]+|it does not parse)$/)
      }),
      {numRuns: 500},
    )
  })
})
