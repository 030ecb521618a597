import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {connectionCeiling} from '../../src/net/index.js'

describe('connectionCeiling', () => {
  it("stays below this process's own descriptor limit, keeping a headroom", () => {
    const c = connectionCeiling()
    expect(c).toBeDefined()
    expect(c!.open).toBeGreaterThan(2)
    expect(c!.ceiling + c!.open + c!.headroom).toBeLessThanOrEqual(c!.limit)
    expect(c!.headroom).toBeGreaterThanOrEqual(16)
  })

  it('reads a /proc-shaped folder: soft limit less open descriptors less max(16, a tenth); none when unlimited', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-fd-'))
    mkdirSync(join(dir, 'fd'))
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'fd', String(i)), '')
    const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                 524288               files\n`
    writeFileSync(join(dir, 'limits'), limits('128'))
    expect(connectionCeiling(dir)).toEqual({ceiling: 128 - 20 - 16, limit: 128, open: 20, headroom: 16})
    writeFileSync(join(dir, 'limits'), limits('1024'))
    expect(connectionCeiling(dir)?.ceiling).toBe(1024 - 20 - 103)
    writeFileSync(join(dir, 'limits'), limits('unlimited'))
    expect(connectionCeiling(dir)).toBeUndefined()
    expect(connectionCeiling(join(dir, 'missing'))).toBeUndefined()
  })
})
