/**
 * JSON.stringify(value), handed to put in the pieces the walk makes (a row, a
 * bracket, a key), in order: joined, exactly the same text. For documents of
 * tens of thousands of rows, which writeJsonLine encodes a chunk at a time.
 *
 * The top-level object or array and the arrays and objects directly inside it
 * are walked here, in JSON.stringify's order and by its rules (keys whose
 * value is undefined, a function or a symbol are left out; in an array such a
 * value is null; a value with toJSON is what toJSON returns); anything deeper
 * is one JSON.stringify call.
 */
export function jsonPieces(value: unknown, put: (piece: string) => void): void {
  // Plain loops and recursion, no generators: a one-shot command runs this once, cold, and V8's
  // interpreter took 300 ms over 30,000 rows through nested generators (bench/sockets.ts).
  walk(toJson(value), 0, put)
}

/** How deep the walk goes before handing a value to JSON.stringify whole. */
const WALKED_DEPTH = 2
/** The items of an array at that depth given to JSON.stringify at once. */
const ROWS_AT_ONCE = 32

/** v: a value toJson has already been applied to. */
function walk(v: unknown, depth: number, put: (piece: string) => void): void {
  if (depth >= WALKED_DEPTH || v === null || typeof v !== 'object') {
    put(JSON.stringify(v) ?? 'null')
    return
  }
  if (Array.isArray(v) && depth + 1 >= WALKED_DEPTH) {
    // Its items whole, ROWS_AT_ONCE to a JSON.stringify: one call a row built and dropped
    // ~900 bytes of young-generation strings for a 280-byte row (sockets --json, bench/sockets.ts).
    // The comma is a piece of its own: joined to the rows, it made a string the buffer's write
    // copied whole again (slice is a view); 30,000 rows wrote ~20% faster cold without it.
    put('[')
    for (let i = 0; i < v.length; i += ROWS_AT_ONCE) {
      if (i > 0) put(',')
      put(JSON.stringify(v.slice(i, i + ROWS_AT_ONCE)).slice(1, -1))
    }
    put(']')
    return
  }
  if (Array.isArray(v)) {
    put('[')
    for (let i = 0; i < v.length; i++) {
      if (i > 0) put(',')
      const item = toJson(v[i])
      walk(omitted(item) ? null : item, depth + 1, put)
    }
    put(']')
    return
  }
  put('{')
  let first = true
  for (const key of Object.keys(v)) {
    const item = toJson((v as Record<string, unknown>)[key])
    if (omitted(item)) continue
    put(`${first ? '' : ','}${JSON.stringify(key)}:`)
    first = false
    walk(item, depth + 1, put)
  }
  put('}')
}

function toJson(v: unknown): unknown {
  return v !== null && typeof v === 'object' && typeof (v as {toJSON?: unknown}).toJSON === 'function' ? (v as {toJSON(): unknown}).toJSON() : v
}

function omitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol'
}

/** Where writeJsonLine writes: a stream, or anything with write. */
export interface JsonOut {
  write(chunk: string | Uint8Array): unknown
  /**
   * A stream's bytes still queued (Writable.writableLength): 0 after a write
   * means it has let go of the chunk, and its memory may be written again.
   * Without it, no chunk's memory is reused.
   */
  readonly writableLength?: number
}

/** The bytes a chunk holds before it is written. */
const CHUNK_BYTES = 64 * 1024
/** UTF-8 bytes one UTF-16 code unit can take. */
const MAX_BYTES_PER_UNIT = 3

/**
 * json as one line on out, JSON.stringify's text encoded a chunk at a time
 * into one buffer that is written and reused: `sockets --json` with 30,000
 * sockets is 8.5 MB, and a string of the whole, or a string per chunk, each
 * encoded into memory of its own, cost 120-170 ms on this machine's fresh
 * pages (13 us per 4 KB touched) where reusing one 64 KB buffer costs <50
 * (bench/sockets.ts). A chunk still queued after its write (a pipe whose
 * reader is slow) keeps its buffer: the next chunk gets a new one.
 */
export function writeJsonLine(out: JsonOut, json: unknown): void {
  let buf = Buffer.allocUnsafe(CHUNK_BYTES)
  let at = 0
  const flush = (): void => {
    if (at === 0) return
    out.write(buf.subarray(0, at))
    at = 0
    if (out.writableLength !== 0) buf = Buffer.allocUnsafe(CHUNK_BYTES)
  }
  // Whether piece fits in what is left of the buffer: counted only when the bound says it might not.
  const fits = (piece: string): boolean => at + piece.length * MAX_BYTES_PER_UNIT <= buf.length || at + Buffer.byteLength(piece, 'utf8') <= buf.length
  jsonPieces(json, (piece) => {
    if (!fits(piece)) {
      flush()
      // Longer than a chunk: as it is, in its place.
      if (!fits(piece)) return void out.write(piece)
    }
    at += buf.write(piece, at, 'utf8')
  })
  if (at + 1 > buf.length) flush()
  buf[at++] = 0x0a // '\n'
  flush()
}
