// The long fuzz run: `npm run fuzz` (1,000,000 cases per decoder) or
// `tsx test/fuzz/run.ts CASES [SEED]`. Prints cases/s per decoder and every
// failure with what is needed to replay it; exits 1 if anything failed.
import {defaultSeed, formatReport, runFuzz} from './harness.js'
import {ALL_TARGETS} from './targets.js'

const cases = Number(process.argv[2] ?? 100_000)
const seed = process.argv[3] === undefined ? defaultSeed() : Number(process.argv[3])
if (!Number.isInteger(cases) || cases <= 0 || !Number.isInteger(seed)) {
  console.error('usage: tsx test/fuzz/run.ts CASES [SEED]')
  process.exitCode = 2
} else {
  let failed = 0
  for (const target of ALL_TARGETS) {
    const r = runFuzz(target, {cases, seed, memoryEvery: 20_000})
    console.log(formatReport(r))
    failed += r.failures.length
  }
  if (failed > 0) process.exitCode = 1
}
