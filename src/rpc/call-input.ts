import {err, ok, type Result, UsageError} from '../errors.js'
import {type BodySourceOptions, describeBodySource, readBodySource} from './body-source.js'
import type {RequestBody} from './call-prepare.js'

/**
 * The request body from --json '<text>', --json @file or --json - (stdin),
 * read within --max-body (see readBodySource). A body that is not JSON is
 * reported by source and position, never quoted: @/etc/shadow stays unprinted.
 */
export async function readJsonBody(arg: string, opts: BodySourceOptions = {}): Promise<Result<RequestBody, UsageError>> {
  const bytes = await readBodySource(arg, opts)
  if (!bytes.ok) return bytes
  const text = bytes.value.toString('utf8')
  const what = describeBodySource(arg)
  if (text.trim() === '') return err(new UsageError('BAD_JSON', `${what} is empty: give a JSON object, e.g. '{}'`))
  try {
    return ok({kind: 'json', value: JSON.parse(text)})
  } catch {
    // The locating parser (jsonc-parser) is loaded only for a body that needs it.
    const {locateJsonError} = await import('./json-error.js')
    return err(new UsageError('BAD_JSON', `${what} is not valid JSON ${locateJsonError(text)}`))
  }
}

/** --data-hex: hex digits, with optional spaces, colons or a 0x prefix (as xxd -p and Wireshark copy them). */
export function parseHexBody(text: string): Result<RequestBody, UsageError> {
  const clean = text.replace(/^0x/i, '').replace(/[\s:]/g, '')
  if (!/^[0-9a-fA-F]*$/.test(clean)) return err(new UsageError('BAD_DATA', `--data-hex holds a non-hex character: ${JSON.stringify(text.slice(0, 40))}`))
  if (clean.length % 2 !== 0) return err(new UsageError('BAD_DATA', `--data-hex has an odd number of hex digits (${clean.length})`))
  return ok({kind: 'bytes', bytes: Buffer.from(clean, 'hex')})
}

/** --data-base64: standard or URL-safe alphabet, padding optional. */
export function parseBase64Body(text: string): Result<RequestBody, UsageError> {
  const clean = text.replace(/\s/g, '')
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    return err(new UsageError('BAD_DATA', `--data-base64 is not base64: ${JSON.stringify(text.slice(0, 40))}`))
  }
  return ok({kind: 'bytes', bytes: Buffer.from(clean, 'base64')})
}
