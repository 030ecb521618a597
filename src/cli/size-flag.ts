import {Flags} from '@oclif/core'

import {err, ok, type Result, UsageError} from '../errors.js'

const UNITS: Readonly<Record<string, number>> = {'': 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3}

/**
 * A byte size as people write it: 65536, 64k, 64KiB, 256M, 256MiB, 1G (powers
 * of 1024; KB/MB are refused rather than guessed at).
 */
export function parseSize(text: string, range: {min?: number; max?: number} = {}): Result<number, UsageError> {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = m === null ? undefined : UNITS[m[2].toLowerCase()]
  if (m === null || unit === undefined) {
    return err(new UsageError('BAD_SIZE', `not a size: ${JSON.stringify(text.slice(0, 40))} (bytes, or with a unit: 64KiB, 256MiB, 1GiB; k, M and G are 1024-based)`))
  }
  const n = Math.floor(Number(m[1]) * unit)
  const min = range.min ?? 1
  const max = range.max ?? Number.MAX_SAFE_INTEGER
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    return err(new UsageError('BAD_SIZE', `size out of range: ${text} (from ${human(min)} to ${human(max)})`))
  }
  return ok(n)
}

function human(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) if (n % size === 0) return `${n / size}${unit}`
  return String(n)
}

/** An oclif flag holding a byte size, shown in help with its unit. */
export function sizeFlag(opts: {description: string; default: number; min?: number; max?: number}) {
  return Flags.custom<number>({
    description: opts.description,
    helpValue: 'SIZE',
    default: opts.default,
    defaultHelp: async () => human(opts.default),
    parse: async (input) => {
      const r = parseSize(input, opts)
      if (!r.ok) throw r.error
      return r.value
    },
  })()
}
