// The long-running commands hold glibc's mmap threshold (src/net/malloc-policy.ts).
// Each case is a fresh process: the policy is applied once per process.
import {execFileSync} from 'node:child_process'

import {describe, expect, it} from 'vitest'

const probe = (env: NodeJS.ProcessEnv = {}) =>
  JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/net/malloc-policy.ts').then(async (n) => console.log(JSON.stringify([await n.holdMmapThreshold(), await n.holdMmapThreshold()])))"], {
      env: {...process.env, ...env},
      encoding: 'utf8',
      timeout: 30_000,
    }),
  )

describe('holdMmapThreshold', () => {
  it.runIf(process.platform === 'linux')('sets the threshold through koffi on this glibc machine, once', () => {
    expect(probe()).toEqual([{applied: true}, {applied: true}])
  })

  it('changes nothing when the environment already sets the threshold, and says so', () => {
    const [first] = probe({MALLOC_MMAP_THRESHOLD_: '262144'})
    expect(first).toEqual({applied: false, why: process.platform === 'linux' ? 'MALLOC_MMAP_THRESHOLD_ is set in the environment' : `not Linux (${process.platform})`})
  })
})
