// Reading /proc files whole (src/sockets/proc-read.ts): in the background
// through libc where it can, here otherwise; the same bytes either way.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {openLibc} from '../../src/net/libc.js'
import {BackgroundProcReader, ProcReader} from '../../src/sockets/proc-read.js'

describe('BackgroundProcReader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-proc-read-'))
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  it.runIf(process.platform === 'linux')('reads in the background here (libc through koffi), and at once without libc', async () => {
    expect(new BackgroundProcReader(await openLibc()).way).toBe('background')
    expect(new BackgroundProcReader().way).toBe('here')
  })

  it('reads a file of several buffers whole, byte for byte, both ways', async () => {
    // 3.5 MB: past the first 1 MiB buffer twice, and not a multiple of it.
    const bytes = Buffer.alloc(3_500_001)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff
    const path = join(dir, 'big')
    writeFileSync(path, bytes)
    for (const reader of [new BackgroundProcReader(await openLibc()), new BackgroundProcReader()]) {
      const read = await reader.read(path)
      expect(read?.length).toBe(bytes.length)
      expect(read?.equals(bytes)).toBe(true)
    }
  })

  it('reads a /proc file the kernel hands out a page per read, as ProcReader does', async () => {
    // /proc/self/maps is made at each read: compare shapes, not bytes (the read itself maps memory).
    const background = (await new BackgroundProcReader(await openLibc()).read('/proc/self/smaps'))?.toString('latin1') ?? ''
    const here = new ProcReader().read('/proc/self/smaps')?.toString('latin1') ?? ''
    expect(background.length).toBeGreaterThan(8192)
    expect(background.split('\n').length / here.split('\n').length).toBeGreaterThan(0.9)
    expect(background.endsWith('\n')).toBe(true)
    expect(background).toContain(readFileSync('/proc/self/smaps', 'latin1').split('\n')[0])
  })

  it('says undefined for what cannot be read: a missing file, a directory', async () => {
    for (const reader of [new BackgroundProcReader(await openLibc()), new BackgroundProcReader()]) {
      expect(await reader.read(join(dir, 'missing'))).toBeUndefined()
      expect(await reader.read(dir)).toBeUndefined()
    }
  })
})
