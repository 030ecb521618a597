// Lua 5.2 literals for generated code. Strings come from .proto files, paths
// and the command line, so every byte that is not plain printable ASCII is a
// decimal escape: the file stays one readable ASCII text whatever they hold.

/** A double-quoted Lua string literal of the string's UTF-8 bytes. */
export function luaString(s: string): string {
  let out = '"'
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x22) out += '\\"'
    else if (b === 0x5c) out += '\\\\'
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b)
    else if (b === 0x0a) out += '\\n'
    else out += `\\${String(b).padStart(3, '0')}`
  }
  return out + '"'
}

/** A Lua table key: bare when it is an identifier, else ["..."] or [n]. */
export function luaKey(k: string | number): string {
  if (typeof k === 'number') return `[${k}]`
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !LUA_KEYWORDS.has(k) ? k : `[${luaString(k)}]`
}

export function luaValue(v: string | number | boolean): string {
  if (typeof v === 'string') return luaString(v)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`)
  return String(v)
}

/** Text for a Lua `--` comment: one line, no control characters. */
export function luaComment(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, ' ')
}

const LUA_KEYWORDS = new Set([
  'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'goto', 'if', 'in',
  'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while',
])
