// The searchable table of calls in doubt (unanswered, answered late, or any
// status other than ok and error), with their likely causes. Causes repeat
// from row to row, so each is stored once and rows point to it. Bounded: past
// `maxRows` rows are counted, not kept.

import type {CallRow, CallTable} from './data.js'

export interface CallRowInput extends Omit<CallRow, 'causes'> {
  readonly causes: readonly string[]
}

export class CallTableBuilder {
  private readonly rows: CallRow[] = []
  private readonly byKey = new Map<string, number>()
  private readonly causes: string[] = []
  private readonly causeIndex = new Map<string, number>()
  private total = 0

  constructor(private readonly maxRows = 5000) {}

  add(row: CallRowInput, key?: string): void {
    this.total++
    if (this.rows.length >= this.maxRows) return
    if (key !== undefined) this.byKey.set(key, this.rows.length)
    this.rows.push({...row, causes: row.causes.map((c) => this.cause(c))})
  }

  /** A kept row changed (an unanswered call got its reply after --timeout). */
  amend(key: string, change: Partial<Pick<CallRow, 'status' | 'ms' | 'reason'>>): void {
    const i = this.byKey.get(key)
    if (i === undefined) return
    this.rows[i] = {...this.rows[i], ...change}
  }

  build(): CallTable {
    const rows = [...this.rows].sort((a, b) => a.t - b.t)
    return {
      total: this.total,
      causes: this.causes,
      rows,
      ...(this.total > rows.length ? {note: `the first ${rows.length.toLocaleString('en-US')} of ${this.total.toLocaleString('en-US')} calls in doubt are listed; all are counted`} : {}),
    }
  }

  private cause(text: string): number {
    let i = this.causeIndex.get(text)
    if (i === undefined) {
      i = this.causes.length
      this.causes.push(text)
      this.causeIndex.set(text, i)
    }
    return i
  }
}
