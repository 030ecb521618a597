import {writeFileSync} from 'node:fs'

import {err, ok, type Result, UsageError} from '../errors.js'

/** Write the generated file; a path that cannot be written is the user's to fix (exit 2). */
export function writeDissector(path: string, text: string): Result<void, UsageError> {
  try {
    writeFileSync(path, text)
    return ok(undefined)
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message
    return err(new UsageError('WRITE_FAILED', `cannot write ${path}: ${why}`, {cause: e}))
  }
}
