// What -Y lets through, and the tally the summary and --fail-on read: calls
// seen and calls matched, by state. Without -Y every call matches.

import {CALL_STATES, type CallState, callOf} from '../fields/call-view.js'
import type {FieldContext} from '../fields/fields.js'
import type {SniffEvent} from '../events.js'
import type {DisplayFilter} from './compile.js'

export type StateCounts = Record<CallState, number>

function zero(): StateCounts {
  return Object.fromEntries(CALL_STATES.map((s) => [s, 0])) as StateCounts
}

export class CallSelection {
  /** Call events seen (a late reply after an unanswered report is a second event). */
  seen = 0
  matched = 0
  readonly seenBy: StateCounts = zero()
  readonly matchedBy: StateCounts = zero()

  constructor(
    readonly filter: DisplayFilter | undefined,
    private readonly ctx: FieldContext,
  ) {}

  /**
   * Whether to show the event. With -Y: calls that match, and nothing that is
   * not a call (findings still reach the summary's rollup). Without: everything.
   */
  admit(e: SniffEvent): boolean {
    const call = callOf(e)
    if (call === undefined) return this.filter === undefined
    this.seen++
    this.seenBy[call.state]++
    if (this.filter !== undefined && !this.filter.test(call, this.ctx)) return false
    this.matched++
    this.matchedBy[call.state]++
    return true
  }
}
