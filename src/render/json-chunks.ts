/**
 * JSON.stringify(value), handed out in pieces of about chunkSize characters:
 * joined, exactly the same text. For documents of tens of thousands of rows
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
export function* jsonChunks(value: unknown, chunkSize = 64 * 1024): Generator<string> {
  let out = ''
  for (const piece of pieces(toJson(value), 0)) {
    out += piece
    if (out.length >= chunkSize) {
      yield out
      out = ''
    }
  }
  if (out.length > 0) yield out
}

/** How deep the walk goes before handing a value to JSON.stringify whole. */
const WALKED_DEPTH = 2

/** v: a value toJson has already been applied to. */
function* pieces(v: unknown, depth: number): Generator<string> {
  if (depth >= WALKED_DEPTH || v === null || typeof v !== 'object') {
    yield JSON.stringify(v) ?? 'null'
    return
  }
  if (Array.isArray(v)) {
    yield '['
    for (let i = 0; i < v.length; i++) {
      if (i > 0) yield ','
      const item = toJson(v[i])
      yield* pieces(omitted(item) ? null : item, depth + 1)
    }
    yield ']'
    return
  }
  yield '{'
  let first = true
  for (const key of Object.keys(v)) {
    const item = toJson((v as Record<string, unknown>)[key])
    if (omitted(item)) continue
    yield `${first ? '' : ','}${JSON.stringify(key)}:`
    first = false
    yield* pieces(item, depth + 1)
  }
  yield '}'
}

function toJson(v: unknown): unknown {
  return v !== null && typeof v === 'object' && typeof (v as {toJSON?: unknown}).toJSON === 'function' ? (v as {toJSON(): unknown}).toJSON() : v
}

function omitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol'
}

/** json as one line on out, a chunk at a time: what `--json` prints when stdout is not a terminal. */
export function writeJsonLine(out: {write(text: string): unknown}, json: unknown): void {
  for (const chunk of jsonChunks(json)) out.write(chunk)
  out.write('\n')
}
