// sniff renders nothing when stdout is /dev/null: only the null device may be
// taken for it, never a file, a pipe or another character device.
import {closeSync, mkdtempSync, openSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'

import {isDevNull} from '../../src/render/dev-null.js'

describe('isDevNull', () => {
  it('is true for /dev/null and false for a file, /dev/zero and a closed descriptor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-devnull-'))
    const fds = {null: openSync('/dev/null', 'w'), zero: openSync('/dev/zero', 'r'), file: openSync(join(dir, 'out'), 'w')}
    try {
      expect(isDevNull(fds.null)).toBe(true)
      expect(isDevNull(fds.zero)).toBe(false)
      expect(isDevNull(fds.file)).toBe(false)
    } finally {
      for (const fd of Object.values(fds)) closeSync(fd)
      rmSync(dir, {recursive: true, force: true})
    }
    expect(isDevNull(fds.file)).toBe(false)
  })

  it('is false for a pipe (a child whose stdout is piped) and true when the child writes to /dev/null', () => {
    const probe = ['--import', 'tsx', '-e', "import('./src/render/dev-null.ts').then((m) => process.stderr.write(String(m.isDevNull(1))))"]
    const piped = spawnSync(process.execPath, probe, {stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 30_000})
    expect(piped.stderr).toBe('false')
    const nulled = spawnSync(process.execPath, probe, {stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 30_000})
    expect(nulled.stderr).toBe('true')
  })
})
