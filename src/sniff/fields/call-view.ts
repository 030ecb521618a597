// A call as -Y and -T fields see it: every event that is about one call
// (a paired transaction, an unanswered request, a duplicate reply, a reply
// without request, a call the capture cannot tell) seen through one shape.

import type {ConnRef, FrameInfo, SniffEvent, UncertainReason} from '../events.js'

/** What became of a call: the words -Y's `state` compares with, and --fail-on's. */
export const CALL_STATES = ['ok', 'error', 'unanswered', 'duplicate', 'uncertain', 'orphan'] as const
export type CallState = (typeof CALL_STATES)[number]

export interface CallView {
  /** When the event came: ms since the capture's first whole second (SniffEvent.t). */
  readonly t: number
  readonly conn: ConnRef
  readonly state: CallState
  readonly request?: FrameInfo
  readonly response?: FrameInfo
  /** Request's last byte to reply's last byte, when both were seen. */
  readonly latencyMs?: number
  /** Unanswered (or uncertain with only the request): how long the request waited. */
  readonly waitedMs?: number
  readonly errName?: string
  /** Unanswered: the likeliest cause's code (HANDLER_NO_DONE, READ_128, ...). */
  readonly cause?: string
  /** Uncertain: why. */
  readonly uncertainReason?: UncertainReason
  /** The answer came after --timeout had reported the request unanswered. */
  readonly late?: boolean
}

/** The call an event is about, or undefined for events that are not calls (warnings, gaps, connections...). */
export function callOf(e: SniffEvent): CallView | undefined {
  switch (e.type) {
    case 'transaction':
      return {t: e.t, conn: e.conn, state: e.status, request: e.request, response: e.response, latencyMs: e.latencyMs, errName: e.errName, late: e.late}
    case 'unanswered':
      return {t: e.t, conn: e.conn, state: 'unanswered', request: e.request, waitedMs: e.waitedMs, cause: e.causes[0]?.code}
    case 'duplicate-response':
      return {t: e.t, conn: e.conn, state: 'duplicate', response: e.response}
    case 'orphan-response':
      return {t: e.t, conn: e.conn, state: 'orphan', response: e.response}
    case 'uncertain':
      return {t: e.t, conn: e.conn, state: 'uncertain', request: e.request, response: e.response, latencyMs: e.latencyMs, waitedMs: e.waitedMs, uncertainReason: e.reason}
    default:
      return undefined
  }
}
