import {Flags, type Interfaces} from '@oclif/core'
import ms from 'ms'

import {err, ok, type Result, UsageError} from '../errors.js'
import {formatDuration} from '../stats/duration.js'

/**
 * Durations as every flag takes them: `500ms`, `5s`, `1.5m`, `1h` (vercel's
 * `ms`, the parser half of npm uses), or a bare number in the unit the flag
 * always had: milliseconds for --timeout and --delay, seconds for --duration
 * and --watch, so old command lines keep their meaning.
 */
export type BareUnit = 'ms' | 's'

export interface DurationBounds {
  /** What a number without a unit means. */
  readonly bare: BareUnit
  /** Inclusive, in ms. */
  readonly minMs?: number
  readonly maxMs?: number
}

const BARE_NUMBER = /^(?:\d+(?:\.\d+)?|\.\d+)$/

/** Parse one duration flag value to milliseconds; `flag` names it in the error ("--timeout"). */
export function parseDuration(text: string, flag: string, bounds: DurationBounds): Result<number, UsageError> {
  const t = text.trim()
  const unitWord = bounds.bare === 'ms' ? 'milliseconds' : 'seconds'
  const range =
    bounds.minMs === undefined && bounds.maxMs === undefined
      ? ''
      : ` from ${formatDuration(bounds.minMs ?? 0)}${bounds.maxMs === undefined ? '' : ` to ${formatDuration(bounds.maxMs)}`}`
  const bad = (why: string) =>
    err(new UsageError('BAD_DURATION', `invalid ${flag} "${text}": ${why}; give a duration${range} such as 500ms, 5s, 1m or 1h (a bare number is ${unitWord})`))
  let value: number | undefined
  if (BARE_NUMBER.test(t)) value = Number(t) * (bounds.bare === 's' ? 1000 : 1)
  // ms() throws on an empty string and reads "1e3ms" and "5 apples" as undefined.
  else if (t !== '') value = ms(t as ms.StringValue) as number | undefined
  if (value === undefined || !Number.isFinite(value)) return bad(t === '' ? 'empty' : 'not a duration')
  if (value < 0) return bad('negative')
  if (bounds.minMs !== undefined && value < bounds.minMs) return bad('too short')
  if (bounds.maxMs !== undefined && value > bounds.maxMs) return bad('too long')
  return ok(value)
}

export interface DurationFlagOptions extends DurationBounds {
  readonly description: string
  readonly char?: 't' | 'w' | 'z'
  /** In ms. */
  readonly default?: number
  readonly hidden?: boolean
  readonly dependsOn?: string[]
  readonly exclusive?: string[]
}

/**
 * An oclif flag whose value is a duration in ms. A bad value throws the
 * UsageError (BAD_DURATION) that the base command prints as one line.
 */
export function durationFlag(opts: DurationFlagOptions & {readonly default: number}): Interfaces.OptionFlag<number>
export function durationFlag(opts: DurationFlagOptions): Interfaces.OptionFlag<number | undefined>
export function durationFlag(opts: DurationFlagOptions): Interfaces.OptionFlag<number | undefined> {
  const bare = opts.bare === 'ms' ? 'a bare number is ms' : 'a bare number is seconds'
  return Flags.custom<number>({
    char: opts.char,
    description: `${opts.description} (500ms, 5s, 1m; ${bare})`,
    helpValue: '<duration>',
    hidden: opts.hidden,
    dependsOn: opts.dependsOn,
    exclusive: opts.exclusive,
    parse: async (input, _ctx, flag) => {
      const r = parseDuration(input, `--${flag.name}`, opts)
      if (!r.ok) throw r.error
      return r.value
    },
    ...(opts.default === undefined ? {} : {default: opts.default, defaultHelp: async () => formatDuration(opts.default!)}),
  })() as Interfaces.OptionFlag<number | undefined>
}
