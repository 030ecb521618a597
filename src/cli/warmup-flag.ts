import {Flags, type Interfaces} from '@oclif/core'

import {err, ok, type Result, UsageError} from '../errors.js'
import type {Warmup} from '../rpc/load-test.js'
import {parseDuration} from './duration-flag.js'

const CALL_COUNT = /^\d+$/

/**
 * `--warmup 100` (a count of calls) or `--warmup 2s` (a duration, parsed as
 * every duration flag is): a bare number is calls here, since "warm up with
 * 100 calls" is the common wish and a duration always has its unit written.
 */
export function parseWarmup(text: string): Result<Warmup, UsageError> {
  const t = text.trim()
  if (CALL_COUNT.test(t)) {
    const calls = Number(t)
    if (!Number.isSafeInteger(calls)) return err(new UsageError('BAD_WARMUP', `invalid --warmup "${text}": too many calls`))
    return ok({calls})
  }
  const d = parseDuration(t, '--warmup', {bare: 'ms'})
  if (!d.ok) return err(new UsageError('BAD_WARMUP', `invalid --warmup "${text}": give a number of calls (100) or a duration (500ms, 2s)`))
  return ok({ms: d.value})
}

export function warmupFlag(opts: {readonly description: string}): Interfaces.OptionFlag<Warmup | undefined> {
  return Flags.custom<Warmup>({
    description: `${opts.description} (a number of calls such as 100, or a duration such as 500ms or 2s)`,
    helpValue: '<calls|duration>',
    parse: async (input) => {
      const r = parseWarmup(input)
      if (!r.ok) throw r.error
      return r.value
    },
  })()
}
