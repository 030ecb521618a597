import type {RawDecodeResult, RawField} from './types.js'

// The text protoc --decode_raw prints (TextFormat::Printer over an
// UnknownFieldSet): varints as uint64 decimals, fixed32/fixed64 as zero-padded
// hex, length-delimited payloads as nested blocks or C-escaped strings, groups
// as blocks; two spaces of indent per level.

const INDENT = '  '

/** protobuf's CEscape: \n \r \t \" \' \\ by name, other bytes outside 0x20..0x7e as 3-digit octal. */
export function cEscape(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    switch (b) {
      case 0x0a:
        out += '\\n'
        break
      case 0x0d:
        out += '\\r'
        break
      case 0x09:
        out += '\\t'
        break
      case 0x22:
        out += '\\"'
        break
      case 0x27:
        out += "\\'"
        break
      case 0x5c:
        out += '\\\\'
        break
      default:
        out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '\\' + b.toString(8).padStart(3, '0')
    }
  }
  return out
}

function formatFields(fields: readonly RawField[], indent: string, out: string[]): void {
  for (const f of fields) {
    const v = f.value
    switch (v.kind) {
      case 'varint':
        out.push(`${indent}${f.field}: ${v.uint}`)
        break
      case 'fixed32':
        out.push(`${indent}${f.field}: 0x${v.uint.toString(16).padStart(8, '0')}`)
        break
      case 'fixed64':
        out.push(`${indent}${f.field}: 0x${v.uint.toString(16).padStart(16, '0')}`)
        break
      case 'string':
      case 'bytes':
        out.push(`${indent}${f.field}: "${cEscape(v.bytes)}"`)
        break
      case 'message':
      case 'group':
        out.push(`${indent}${f.field} {`)
        formatFields(v.fields, indent + INDENT, out)
        out.push(`${indent}}`)
        break
    }
  }
}

/**
 * The lines protoc --decode_raw prints for the same bytes (join with "\n" and
 * end with one). For input protoc rejects ("Failed to parse input."), the
 * lines show the fields decoded before result.error.
 */
export function formatRaw(result: RawDecodeResult | readonly RawField[]): string[] {
  const out: string[] = []
  formatFields('fields' in result ? result.fields : result, '', out)
  return out
}
