// capYoungGeneration keeps V8's new space at its cap through an allocation burst
// that grows it to 32 MiB without the cap. Each case is a fresh process: the
// flag it sets is process-wide.
import {execFileSync} from 'node:child_process'

import {describe, expect, it} from 'vitest'

/** new_space size (MiB) after a burst where much survives a scavenge, with or without the cap. */
const burst = (capMiB: number | undefined) =>
  Number(
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `
import('./src/net/young-generation.ts').then(async ({capYoungGeneration}) => {
  const v8 = await import('node:v8')
  if (${capMiB ?? 0} > 0) capYoungGeneration(${capMiB ?? 0} * 1024 * 1024)
  let keep = []
  // In slices of ~0.6 MB, so the observer hears of each scavenge between them: node delivers gc
  // entries a turn later, and a slice big enough for two growing scavenges before the observer
  // runs can take V8 a step past the cap (slices of 3 MB did once in CI). The last 25 slices stay
  // alive (~15 MB), which is what makes V8 grow the space.
  for (let r = 0; r < 1000; r++) {
    const a = []
    for (let i = 0; i < 10000; i++) a.push({i, s: 'x' + i})
    keep.push(a)
    if (keep.length > 25) keep.shift()
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
  }
  console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576)
})`,
      ],
      {encoding: 'utf8', timeout: 60_000},
    ),
  )

describe('capYoungGeneration', () => {
  it('holds the new space at the cap where V8 alone grows it past', () => {
    const free = burst(undefined)
    expect(free, 'without the cap V8 grows the new space past 16 MiB (else this test shows nothing)').toBeGreaterThan(16)
    expect(burst(16)).toBeLessThanOrEqual(16)
    expect(burst(4)).toBeLessThanOrEqual(4)
  }, 120_000)
})

describe("a code cache made under V8's own flags", () => {
  // The build writes each direct run's cache at the exit of training runs (bin/code-cache.js), so a
  // flag a run changes must be V8's own again by then, or stay out of V8's flag hash. Each Script is
  // a source of its own (of the same length: V8 checks only that), so none is found in V8's
  // in-memory compilation cache instead of being checked against the data.
  const taken = (set: string) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          `
import('./src/net/young-generation.ts').then(async (young) => {
  const vm = await import('node:vm')
  const source = (n) => 'function f(){return ' + n + '}; f()'
  const data = new vm.Script(source(1)).createCachedData()
  young.${set}()
  const during = !new vm.Script(source(2), {cachedData: data}).cachedDataRejected
  process.on('exit', () => console.log(JSON.stringify({during, atExit: !new vm.Script(source(3), {cachedData: data}).cachedDataRejected})))
})`,
        ],
        {encoding: 'utf8', timeout: 60_000},
      ),
    ) as {during: boolean; atExit: boolean}

  it('is rejected while keepYoungGenerationSmall holds the growth factor at 1, and taken again at exit', () => {
    expect(taken('keepYoungGenerationSmall')).toEqual({during: false, atExit: true})
  }, 60_000)

  it('is still taken after scavengeOnMainThread (its flag is not in the hash)', () => {
    expect(taken('scavengeOnMainThread')).toEqual({during: true, atExit: true})
  }, 60_000)
})

describe('scavengeOnMainThread', () => {
  // V8's --trace-gc-nvp line of each scavenge says how long helper threads worked on it
  // (background.scavenge.parallel, ms). Survivors (a window of live objects) give them work.
  const helperMs = (alone: boolean): number[] =>
    execFileSync(
      process.execPath,
      [
        '--trace-gc-nvp',
        '--import',
        'tsx',
        '-e',
        `
import('./src/net/young-generation.ts').then((young) => {
  if (${alone}) young.scavengeOnMainThread()
  console.log('start')
  const keep = new Array(20000)
  for (let i = 0; i < 1000000; i++) keep[i % keep.length] = {i, s: 'x' + i}
  console.log('marker', keep.length)
})`,
      ],
      {encoding: 'utf8', timeout: 60_000},
    )
      // The loop's scavenges only, not those of loading tsx and the module.
      .split('start\n')[1]
      .split('marker')[0]
      .split('\n')
      .filter((line) => line.includes('gc=s '))
      .map((line) => Number(/ background\.scavenge\.parallel=([\d.]+)/.exec(line)?.[1]))

  it("leaves V8's helper threads out of every scavenge, where they otherwise take part", () => {
    const parallel = helperMs(false)
    expect(parallel.length).toBeGreaterThan(3)
    expect(Math.max(...parallel), 'without it the helpers work on some scavenge (else this test shows nothing)').toBeGreaterThan(0)
    const alone = helperMs(true)
    expect(alone.length).toBeGreaterThan(3)
    expect(alone.every((ms) => ms === 0)).toBe(true)
  }, 120_000)
})
