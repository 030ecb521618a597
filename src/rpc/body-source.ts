import type {Readable} from 'node:stream'

import {DEFAULT_MAX_FRAME} from '../../decoders/tinypb/index.js'
import {err, ok, type Result, UsageError} from '../errors.js'
import {formatBytes} from '../sockets/diagnose.js'

/** Largest request body read from --json @file or stdin: a body is sent in one frame, and a frame is at most 64 MiB. */
export const DEFAULT_MAX_BODY = DEFAULT_MAX_FRAME

/** Where the body text came from, for messages: "--json", "--json @req.json", "--json - (stdin)". Never its bytes. */
export function describeBodySource(arg: string): string {
  if (arg === '-') return '--json - (stdin)'
  if (arg.startsWith('@')) return `--json ${arg}`
  return '--json'
}

export interface BodySourceOptions {
  /** Refuse a body larger than this many bytes (default 64 MiB). */
  readonly maxBytes?: number
  /** What `-` reads (default process.stdin). */
  readonly stdin?: () => Readable
}

/**
 * The bytes of --json '<text>', --json @file or --json - (stdin), bounded:
 * a regular file larger than the limit is refused from its size before it is
 * read; a pipe, a device (/dev/zero) or stdin is read asynchronously (a slow
 * writer is waited for, to its end) and given up on as soon as it passes the
 * limit. Errors name the source, never its content.
 */
export async function readBodySource(arg: string, opts: BodySourceOptions = {}): Promise<Result<Buffer, UsageError>> {
  const max = opts.maxBytes ?? DEFAULT_MAX_BODY
  const what = describeBodySource(arg)
  const tooLarge = (size?: number) =>
    err(
      new UsageError(
        'BODY_TOO_LARGE',
        size === undefined
          ? `${what} is larger than the ${formatBytes(max)} limit (--max-body)`
          : `${what} is ${formatBytes(size)}, over the ${formatBytes(max)} limit (--max-body)`,
      ),
    )
  if (arg === '-') {
    const body = await readBounded((opts.stdin ?? (() => process.stdin))(), max)
    if (!body.ok) return body.error === 'too-large' ? tooLarge() : err(new UsageError('BAD_JSON', `cannot read ${what}: ${body.error.message}`, {cause: body.error}))
    return ok(body.value)
  }
  if (!arg.startsWith('@')) return ok(Buffer.from(arg))

  const path = arg.slice(1)
  // node:fs/promises only for a file: a one-shot call with its body inline starts without it.
  const {open} = await import('node:fs/promises')
  let handle
  try {
    handle = await open(path, 'r')
  } catch (e) {
    return err(new UsageError('BAD_JSON', `cannot read ${what}: ${why(e)}`, {cause: e}))
  }
  try {
    const st = await handle.stat()
    if (st.isDirectory()) return err(new UsageError('BAD_JSON', `cannot read ${what}: it is a directory`))
    if (st.isFile() && st.size > max) return tooLarge(st.size)
    const body = await readBounded(handle.createReadStream({autoClose: false, highWaterMark: 1024 * 1024}), max)
    if (!body.ok) return body.error === 'too-large' ? tooLarge() : err(new UsageError('BAD_JSON', `cannot read ${what}: ${why(body.error)}`, {cause: body.error}))
    return ok(body.value)
  } finally {
    await handle.close().catch(() => {})
  }
}

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message
}

/** Read a stream to its end, keeping at most max bytes; stop reading once it has more. */
async function readBounded(stream: Readable, max: number): Promise<Result<Buffer, Error | 'too-large'>> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of stream) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
      size += b.length
      if (size > max) {
        stream.destroy()
        return err('too-large')
      }
      chunks.push(b)
    }
  } catch (e) {
    return err(e as Error)
  }
  return ok(Buffer.concat(chunks, size))
}
