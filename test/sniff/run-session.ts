import type {TcpSegment} from '../../decoders/packet/segment.js'
import {type SniffEvent, SniffSession, type SniffSessionOptions, type SniffSummary} from '../../src/sniff/index.js'

export interface SessionRun {
  readonly events: SniffEvent[]
  readonly summary: SniffSummary
  /** The events of one type, typed. */
  readonly of: <T extends SniffEvent['type']>(type: T) => Array<Extract<SniffEvent, {type: T}>>
}

/** Push segments through a SniffSession (with `during` after each one) and finish it: every event, and the summary. */
export function runSession(segments: Iterable<TcpSegment>, opts: SniffSessionOptions = {}, during?: (s: SniffSession, i: number) => void): SessionRun {
  const events: SniffEvent[] = []
  const session = new SniffSession((e) => events.push(e), opts)
  let i = 0
  for (const s of segments) {
    session.push(s)
    during?.(session, i++)
  }
  const summary = session.finish()
  const of = <T extends SniffEvent['type']>(type: T) => events.filter((e): e is Extract<SniffEvent, {type: T}> => e.type === type)
  return {events, summary, of}
}
