// Repeated findings, rolled up like tshark's Expert Info: the same finding on
// the same server (SERVER_NO_FIN on 127.0.0.1:12346, twenty-three times) is one
// entry with a count and its first example. The human output prints the first
// and leaves the rest to a line of the summary; -v prints every one; NDJSON
// keeps every event (machines want all).

import type {SniffEvent} from '../events.js'

export interface RolledFinding {
  /** SERVER_NO_FIN, PEER_SAFETY, MALFORMED BAD_END, GAP, ... */
  readonly code: string
  /** The server it was seen on ("127.0.0.1:12346"), or "" when on no connection. */
  readonly where: string
  /** The first one seen. */
  readonly first: SniffEvent
  count: number
}

/**
 * The finding an event reports, keyed for the rollup; undefined for calls and
 * connections (stale sockets are connection detail, shown with -v and counted
 * on the summary's Connections line).
 */
export function findingKey(e: SniffEvent): {code: string; where: string} | undefined {
  const where = e.conn?.server ?? ''
  switch (e.type) {
    case 'warning':
      return {code: e.code, where}
    case 'malformed':
      return {code: e.code === 'BAD_START' ? 'GARBAGE' : `MALFORMED ${e.code}`, where}
    case 'gap':
      return {code: e.cause === 'truncated' ? 'TRUNCATED' : 'GAP', where}
    default:
      return undefined
  }
}

export class FindingRollup {
  private readonly byKey = new Map<string, RolledFinding>()

  /** Count the event; true when it is the first of its kind (print it), false for a repeat. Calls and connections: always true. */
  add(e: SniffEvent): boolean {
    const k = findingKey(e)
    if (k === undefined) return true
    const key = `${k.code}\u0000${k.where}`
    const seen = this.byKey.get(key)
    if (seen !== undefined) {
      seen.count++
      return false
    }
    this.byKey.set(key, {...k, first: e, count: 1})
    return true
  }

  /** Every finding, most frequent first (then in order of first sight). */
  entries(): RolledFinding[] {
    return [...this.byKey.values()].sort((a, b) => b.count - a.count)
  }

  /** Findings seen more than once: repeats the human output did not print. */
  get repeats(): number {
    let n = 0
    for (const f of this.byKey.values()) n += f.count - 1
    return n
  }
}
