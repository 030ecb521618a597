/**
 * A hex dump like `xxd` or `tcpdump -X`: offset, 16 bytes in hex, then the
 * printable ASCII. One string per line.
 *
 *   0000  02 00 00 00 46 00 00 00  14 32 30 30 30 30 30 30  ....F....2000000
 */
export function hexdump(bytes: Uint8Array, opts: {width?: number; offset?: number} = {}): string[] {
  const width = opts.width ?? 16
  const base = opts.offset ?? 0
  const lines: string[] = []
  const half = width / 2
  for (let at = 0; at < bytes.length; at += width) {
    let hex = ''
    let text = ''
    for (let i = 0; i < width; i++) {
      const b = at + i < bytes.length ? bytes[at + i] : undefined
      if (i === half) hex += ' '
      hex += b === undefined ? '   ' : b.toString(16).padStart(2, '0') + ' '
      if (b !== undefined) text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'
    }
    lines.push(`${(base + at).toString(16).padStart(4, '0')}  ${hex} ${text}`)
  }
  return lines
}
