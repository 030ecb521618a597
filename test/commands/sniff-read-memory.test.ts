// sniff --read holds V8's new space at 16 MiB (capYoungGeneration), as a live
// sniff does: left alone, V8 doubles it to 32 MiB reading a capture of 20,000
// calls (on the bench's 200k-call file, 19 MB of peak RSS for the same CPU).
// The built CLI on a generated capture; a preload prints the new space's size
// as node exits.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {generateSniffPcap} from '../../bench/sniff-pcap.js'
import {run} from '../helpers/built-cli.js'

const tmp = mkdtempSync(join(tmpdir(), 'rpcdiag-read-memory-'))
const capture = join(tmp, 'calls.pcap')
const preload = join(tmp, 'new-space.cjs')

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], {stdio: 'ignore'})
  generateSniffPcap(capture, 20_000)
  writeFileSync(
    preload,
    `process.on('exit', () => process.stderr.write('new_space ' + require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576 + '\\n'))\n`,
  )
}, 120_000)
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

describe('sniff --read memory', () => {
  it('keeps the new space at 16 MiB through a 20,000-call capture', async () => {
    const r = await run(['sniff', '--read', capture], {env: {NODE_OPTIONS: `--require ${preload}`}})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Frames: 20000 requests, 20000 responses, 20000 paired')
    const mib = Number(/new_space (\d+)/.exec(r.stderr)?.[1])
    expect(mib).toBeGreaterThan(0)
    expect(mib).toBeLessThanOrEqual(16)
  }, 120_000)
})
