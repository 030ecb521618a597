import {isUtf8} from 'node:buffer'

// What counts as "printable" when deciding between text and a hex dump. The
// rule is about terminal safety as much as readability: bytes that a terminal
// would act on (escape sequences, C1 controls, bidi overrides that reorder the
// rest of the line) must never reach it raw.

const TAB = 0x09
const LF = 0x0a
const CR = 0x0d
const SPACE = 0x20
const DEL = 0x7f

/** True for a UTF-16 code unit that a terminal shows as itself. Surrogates pass: isUtf8 already vouched for them. */
export function isShowableCodeUnit(c: number): boolean {
  if (c < SPACE) return c === TAB || c === LF || c === CR
  if (c < DEL) return true
  if (c <= 0x9f) return false // DEL and the C1 controls (0x9b is CSI on some terminals)
  if (c >= 0x202a && c <= 0x202e) return false // bidi embeddings and overrides
  if (c >= 0x2066 && c <= 0x2069) return false // bidi isolates
  return true
}

/**
 * A string from the wire or from /proc (method name, msg_id, err_info, process
 * name) made safe for one line of a terminal: tab, LF and CR as \t \n \r, any
 * other code unit isShowableCodeUnit rejects (C0 and C1 controls, DEL, bidi
 * overrides and isolates) as \xNN or \u{NNNN}, and a lone surrogate as
 * \u{NNNN}. The rest, backslash included, is kept as is: it is for reading, not
 * a reversible encoding. Returns s itself when nothing needs escaping.
 */
export function displayText(s: string): string {
  let i = 0
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < SPACE || (c >= DEL && (!isShowableCodeUnit(c) || isSurrogate(c)))) break
  }
  if (i === s.length) return s
  let out = s.slice(0, i)
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= SPACE && c < DEL) {
      out += s[i]
      continue
    }
    if (isSurrogate(c)) {
      const next = s.charCodeAt(i + 1)
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += s[i] + s[i + 1]
        i++
      } else out += `\\u{${c.toString(16)}}`
      continue
    }
    const esc = c === TAB ? '\\t' : c === LF ? '\\n' : c === CR ? '\\r' : undefined
    if (esc !== undefined) out += esc
    else if (isShowableCodeUnit(c)) out += s[i]
    else out += c <= 0xff ? hexEscape(c) : `\\u{${c.toString(16)}}`
  }
  return out
}

function isSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdfff
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * The bytes as a string when they are valid UTF-8 made only of characters a
 * terminal shows as themselves (tab, LF and CR allowed); undefined otherwise.
 * Empty input is the empty string.
 */
export function printableText(bytes: Uint8Array): string | undefined {
  const n = bytes.length
  let i = 0
  // ASCII fast path: most payloads that are text at all are ASCII.
  for (; i < n; i++) {
    const b = bytes[i]
    if (b >= 0x80) break
    if (!isShowableCodeUnit(b)) return undefined
  }
  const buf = asBuffer(bytes)
  if (i === n) return buf.toString('latin1', 0, n)
  if (!isUtf8(bytes.subarray(i))) return undefined
  const text = buf.toString('utf8')
  for (let j = i; j < text.length; j++) {
    if (!isShowableCodeUnit(text.charCodeAt(j))) return undefined
  }
  return text
}

/** True when printableText would return text. */
export function isPrintableText(bytes: Uint8Array): boolean {
  return printableText(bytes) !== undefined
}

const ESCAPES: Record<number, string> = {
  [TAB]: '\\t',
  [LF]: '\\n',
  [CR]: '\\r',
  0x22: '\\"',
  0x5c: '\\\\',
}

/**
 * One line, quoted: printable ASCII as is, \t \n \r \" \\ escaped, any other
 * byte as \xNN. Printable non-ASCII UTF-8 stays readable when the whole input
 * is valid UTF-8. For summaries and logs where a chunk must fit on one line.
 * With maxBytes, only that many bytes are quoted (so a 64 KiB chunk costs what
 * a short one does) and "..." follows the closing quote when some were left out.
 */
export function quoteBytes(bytes: Uint8Array, maxBytes?: number): string {
  if (maxBytes !== undefined && bytes.length > maxBytes) {
    // Cut before a UTF-8 character rather than through it, so text stays text.
    let cut = Math.max(0, maxBytes)
    while (cut > 0 && maxBytes - cut < 3 && (bytes[cut] & 0xc0) === 0x80) cut--
    return quoteBytes(bytes.subarray(0, cut)) + '...'
  }
  const text = printableText(bytes)
  let out = '"'
  if (text !== undefined) {
    for (let j = 0; j < text.length; j++) {
      const c = text.charCodeAt(j)
      out += ESCAPES[c] ?? text[j]
    }
    return out + '"'
  }
  for (const b of bytes) {
    const esc = ESCAPES[b]
    if (esc !== undefined) out += esc
    else if (b >= SPACE && b < DEL) out += String.fromCharCode(b)
    else out += hexEscape(b)
  }
  return out + '"'
}

/** One byte as \xNN, the way every escaped view of bytes here writes it. */
export function hexEscape(b: number): string {
  return '\\x' + b.toString(16).padStart(2, '0')
}
