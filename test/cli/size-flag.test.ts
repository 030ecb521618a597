import {describe, expect, it} from 'vitest'

import {parseSize} from '../../src/cli/size-flag.js'

describe('parseSize', () => {
  it('reads bytes and 1024-based units', () => {
    const sizes: Record<string, number> = {'65536': 65_536, '64k': 65_536, '64KiB': 65_536, '256M': 256 * 1024 ** 2, '256 MiB': 256 * 1024 ** 2, '1G': 1024 ** 3, '1.5m': 1.5 * 1024 ** 2, '10b': 10}
    for (const [text, n] of Object.entries(sizes)) expect(parseSize(text)).toEqual({ok: true, value: n})
  })

  it('refuses what it cannot read without guessing', () => {
    for (const text of ['', 'lots', '64MB', '-1', '0', '1e3', '99999999999999999999G']) {
      const r = parseSize(text)
      expect(!r.ok && r.error.code).toBe('BAD_SIZE')
    }
  })
})

describe('sizes with a range (sniff --buffer-limit: 1KiB to 2GiB)', () => {
  it('keeps sizes inside the range and names it when refusing', () => {
    const range = {min: 1024, max: 2 ** 31}
    expect(parseSize('16M', range)).toEqual({ok: true, value: 16 * 1024 ** 2})
    expect(parseSize('2G', range)).toEqual({ok: true, value: 2 ** 31})
    for (const text of ['512', '3G']) {
      const r = parseSize(text, range)
      expect(!r.ok && r.error.message).toMatch(/from 1KiB to 2GiB/)
    }
  })
})
