import {readFileSync} from 'node:fs'

import {err, ok, type Result, UsageError} from '../errors.js'
import type {RequestBody} from './call-prepare.js'

/** Where the body text came from, for messages: "--json", "--json @req.json", "--json - (stdin)". */
function describeSource(arg: string): string {
  if (arg === '-') return '--json - (stdin)'
  if (arg.startsWith('@')) return `--json ${arg}`
  return '--json'
}

/**
 * The request body from --json '<text>', --json @file or --json - (stdin).
 * readStdin is passed in so a caller (and a test) decides what stdin is.
 */
export function readJsonBody(arg: string, readStdin: () => string = () => readFileSync(0, 'utf8')): Result<RequestBody, UsageError> {
  let text: string
  try {
    text = arg === '-' ? readStdin() : arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message
    return err(new UsageError('BAD_JSON', `cannot read ${describeSource(arg)}: ${why}`, {cause: e}))
  }
  if (text.trim() === '') return err(new UsageError('BAD_JSON', `${describeSource(arg)} is empty: give a JSON object, e.g. '{}'`))
  try {
    return ok({kind: 'json', value: JSON.parse(text)})
  } catch (e) {
    return err(new UsageError('BAD_JSON', `${describeSource(arg)} is not valid JSON: ${(e as Error).message}`, {cause: e}))
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
