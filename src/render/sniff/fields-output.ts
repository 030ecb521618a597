// sniff's field output, like `tshark -T fields -e time -e method -E separator=,`:
// one line per call, the fields named by -e (the names -Y uses, src/sniff/fields),
// and --format csv / tsv as presets of it. Times are epoch seconds with six
// decimals (src/render/timestamp.ts), durations ms with microseconds.

import {displayText} from '../../../decoders/string/index.js'
import {err, ok, type Result, UsageError} from '../../errors.js'
import {type CallView, type FieldContext, type FieldRef, fieldKind, fieldValue, resolveField} from '../../sniff/index.js'
import {roundMs} from '../../stats/index.js'
import {epochSecondsText} from '../timestamp.js'
import type {CaptureTimeFormat} from './format.js'

/** d: every value in double quotes; s: single; n: none; csv: RFC 4180, quoted only when it must be. */
export type QuoteStyle = 'd' | 's' | 'n' | 'csv'

export interface FieldsLayout {
  readonly separator: string
  readonly header: boolean
  readonly quote: QuoteStyle
  /** Joins the values of a field with several (process). */
  readonly aggregator: string
}

/** -T fields as tshark lays it out: tabs, no header, no quotes. */
export const TSHARK_FIELDS: FieldsLayout = {separator: '\t', header: false, quote: 'n', aggregator: ','}
export const CSV_LAYOUT: FieldsLayout = {separator: ',', header: true, quote: 'csv', aggregator: ';'}
export const TSV_LAYOUT: FieldsLayout = {separator: '\t', header: true, quote: 'n', aggregator: ','}

/** The columns when no -e is given. */
export const DEFAULT_FIELDS = ['time', 'conn', 'client', 'server', 'method', 'msg_id', 'state', 'latency', 'req.size', 'resp.size', 'err_code', 'err_name'] as const

/** tshark's escapes for -E separator: /t a tab, /s a space. */
function separatorText(v: string): string {
  return v === '/t' ? '\t' : v === '/s' ? ' ' : v
}

/** -E name=value, as tshark takes them: header=y|n, separator=,|/t|/s, quote=d|s|n, aggregator=X. */
export function parseFieldOptions(values: readonly string[], base: FieldsLayout): Result<FieldsLayout, UsageError> {
  let out = {...base}
  for (const v of values) {
    const eq = v.indexOf('=')
    const [name, value] = eq < 0 ? [v, ''] : [v.slice(0, eq), v.slice(eq + 1)]
    const bad = (why: string) => err(new UsageError('BAD_FLAGS', `-E ${v}: ${why}`, {hint: 'tshark style: -E header=y -E separator=, -E quote=d -E aggregator=;'}))
    switch (name) {
      case 'header':
        if (!/^[yn]$/.test(value)) return bad('header is y or n')
        out = {...out, header: value === 'y'}
        break
      case 'separator':
        if (value === '') return bad('give the separator: separator=, or /t (tab) or /s (space)')
        out = {...out, separator: separatorText(value)}
        break
      case 'quote':
        if (!/^[dsn]$/.test(value)) return bad('quote is d (double), s (single) or n (none)')
        out = {...out, quote: value as QuoteStyle}
        break
      case 'aggregator':
        if (value === '') return bad('give the aggregator: aggregator=,')
        out = {...out, aggregator: separatorText(value)}
        break
      default:
        return bad('options are header, separator, quote and aggregator')
    }
  }
  return ok(out)
}

/** -e names to fields: an unknown one fails with a did-you-mean. */
export function resolveFieldList(names: readonly string[], opts: {payloads: boolean}): Result<FieldRef[], UsageError> {
  const refs: FieldRef[] = []
  for (const n of names.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '')) {
    const r = resolveField(n, opts)
    if (!r.ok) return err(new UsageError('BAD_FIELD', `-e: ${r.message}${r.after}`, {hint: 'fields: rpcdiag sniff --help (-e and -Y take the same names)'}))
    refs.push(r.ref)
  }
  return ok(refs)
}

export class FieldsRenderer {
  private readonly ctx: FieldContext

  constructor(
    private readonly fields: readonly FieldRef[],
    private readonly layout: FieldsLayout,
    private readonly clock: CaptureTimeFormat,
  ) {
    this.ctx = {epoch: (t) => clock.epoch(t)}
  }

  header(): string | undefined {
    return this.layout.header ? this.join(this.fields.map((f) => f.name)) : undefined
  }

  line(c: CallView): string {
    return this.join(this.fields.map((f) => this.text(f, c)))
  }

  private text(f: FieldRef, c: CallView): string {
    const kind = fieldKind(f)
    if (kind === 'time') {
      const {sec, usec} = this.clock.split(c.t)
      return epochSecondsText(sec, usec)
    }
    const v = fieldValue(f, c, this.ctx)
    if (v === undefined) return ''
    if (kind === 'ms' && typeof v === 'number') return String(roundMs(v))
    // Wire text (method names, err_info, payload strings) cannot move the cursor.
    if (Array.isArray(v)) return v.map((x) => displayText(x)).join(this.layout.aggregator)
    return displayText(String(v))
  }

  private join(values: readonly string[]): string {
    const {quote, separator} = this.layout
    if (quote === 'n') return values.join(separator)
    if (quote === 'csv') return values.map((v) => (v.includes(separator) || /["\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(separator)
    const q = quote === 'd' ? '"' : "'"
    return values.map((v) => q + v.replaceAll(q, q + q) + q).join(separator)
  }
}
