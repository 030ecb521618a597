/**
 * JSON.stringify(value), handed to emit in pieces of about chunkSize
 * characters: joined, exactly the same text. For documents of tens of thousands of rows
 * (`sockets --json` with 30,000 sockets is 8.5 MB): one string of the whole
 * is built, flattened and then encoded in one go, twice the work of writing
 * the rows a chunk at a time (bench/sockets.ts).
 *
 * The top-level object or array and the arrays and objects directly inside it
 * are walked here, in JSON.stringify's order and by its rules (keys whose
 * value is undefined, a function or a symbol are left out; in an array such a
 * value is null; a value with toJSON is what toJSON returns); anything deeper
 * is one JSON.stringify call.
 */
export function jsonChunks(value: unknown, emit: (chunk: string) => void, chunkSize = 64 * 1024): void {
  // Plain loops and recursion, no generators: a one-shot command runs this once, cold, and V8's
  // interpreter took 300 ms over 30,000 rows through nested generators (bench/sockets.ts).
  let out = ''
  const put = (piece: string): void => {
    out += piece
    if (out.length >= chunkSize) {
      emit(out)
      out = ''
    }
  }
  walk(toJson(value), 0, put)
  if (out.length > 0) emit(out)
}

/** How deep the walk goes before handing a value to JSON.stringify whole. */
const WALKED_DEPTH = 2

/** v: a value toJson has already been applied to. */
function walk(v: unknown, depth: number, put: (piece: string) => void): void {
  if (depth >= WALKED_DEPTH || v === null || typeof v !== 'object') {
    put(JSON.stringify(v) ?? 'null')
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

/** json as one line on out, a chunk at a time: what `--json` prints when stdout is not a terminal. */
export function writeJsonLine(out: {write(text: string): unknown}, json: unknown): void {
  jsonChunks(json, (chunk) => out.write(chunk))
  out.write('\n')
}
