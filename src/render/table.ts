import {visibleWidth} from './color.js'

export interface Column<Row> {
  readonly header: string
  readonly get: (row: Row) => string
  readonly align?: 'left' | 'right'
}

/** A plain-text table like ss and tshark print: a header line, then aligned columns. Colour codes are allowed in cells. */
export function renderTable<Row>(columns: ReadonlyArray<Column<Row>>, rows: readonly Row[], opts: {gap?: number; indent?: string} = {}): string[] {
  const gap = ' '.repeat(opts.gap ?? 2)
  const indent = opts.indent ?? ''
  const cells = rows.map((r) => columns.map((c) => c.get(r)))
  const widths = columns.map((c, i) => Math.max(visibleWidth(c.header), ...cells.map((row) => visibleWidth(row[i]))))
  const line = (values: string[]) =>
    indent +
    values
      .map((v, i) => {
        const pad = ' '.repeat(widths[i] - visibleWidth(v))
        if (columns[i].align === 'right') return pad + v
        return i === values.length - 1 ? v : v + pad
      })
      .join(gap)
  return [line(columns.map((c) => c.header)), ...cells.map(line)]
}
