// Per-connection pairing state of the transaction tracker: the requests
// waiting for a reply by msg_id, the msg_ids answered lately, and how each
// direction ended.

import type {PeerFinding} from '../../../decoders/tinypb/index.js'
import {AnsweredRing} from './answered-ring.js'
import type {Dir, GapCause, TcpFlow} from '../reassembly/index.js'
import type {ConnRef, FrameInfo, Side, UncertainReason} from '../events.js'

/** A decoded frame as the session hands it over: the event view plus what pairing needs. */
export interface FrameRecord {
  readonly dir: Dir
  readonly info: FrameInfo
  readonly msgIdLen: number
  readonly methodNameLen: number
  readonly errInfoLen: number
  /**
   * Payload bytes of the largest TCP segment that carried part of the frame: at
   * least what the receiver's read() returned for it (rocket loses whatever one
   * read() returns when it is 128 bytes or more).
   */
  readonly segmentBytes: number
  /** A copy of pb_data, when payloads are decoded. */
  readonly pb?: Buffer
  /** Bytes of the frame were seen twice with different data (set by the session, before or after the frame is handed over). */
  uncertain?: UncertainReason
}

/** How much an uncertainty says, most first: when several apply, the strongest is reported. */
const UNCERTAIN_RANK: Record<UncertainReason, number> = {conflict: 4, truncated: 3, gap: 2, drop: 1}

/** The stronger of two reasons (undefined: none yet). */
export function strongerReason(now: UncertainReason | undefined, r: UncertainReason): UncertainReason {
  return now === undefined || UNCERTAIN_RANK[r] > UNCERTAIN_RANK[now] ? r : now
}

/** Per connection: msg_ids remembered for duplicate detection (and requests given up on at --timeout). */
export const ANSWERED_MEMORY = 1024

/** A request waiting for its reply. */
export interface Pending {
  readonly conn: ConnTransactions
  readonly rec: FrameRecord
  readonly deadline: number
  readonly findings: readonly PeerFinding[]
  readonly payloadBad: boolean
  done: boolean
  /** ms from the request's last byte to the client's FIN, if the client half-closed while it waited. */
  clientFinAfterMs: number | undefined
  /** The capture lost, cut or dropped what the reply may have been in, while the request waited. */
  uncertain: UncertainReason | undefined
  /** Given up on at --timeout: counted as unanswered, or as uncertain for this reason. */
  expiredAs?: 'unanswered' | UncertainReason
  /** The next request waiting with the same msg_id (a reused msg_id queues behind the first). */
  sameId: Pending | undefined
}

/**
 * Up to this many msg_ids waiting on a connection, they are found by a scan:
 * no Map to hash each reply's fresh msg_id string into, and none to shrink
 * (into new memory) as requests come and go. More than that (a pipelining
 * client) and the connection moves them to a Map.
 */
const SCAN_MAX = 16

/** Per-connection pairing state. */
export class ConnTransactions {
  /**
   * Requests waiting for a reply by msg_id: the oldest, with the later ones
   * that reuse its msg_id chained behind it (no array per request). In
   * `ids`/`heads` (same index, first sent first) until SCAN_MAX, then in `byId`.
   */
  private ids: string[] = []
  private heads: Pending[] = []
  private byId: Map<string, Pending> | undefined
  /** Requests waiting for a reply on this connection. */
  inFlight = 0
  /** The last ANSWERED_MEMORY answered msg_ids: a reply to one of them again is a duplicate. */
  private readonly answeredIds = new AnsweredRing(ANSWERED_MEMORY)

  /** Queue a request; true when its msg_id already waits for a reply. */
  addPending(msgId: string, p: Pending): boolean {
    this.inFlight++
    let q = this.head(msgId)
    if (q === undefined) {
      this.setHead(msgId, p)
      return false
    }
    while (q.sameId !== undefined) q = q.sameId
    q.sameId = p
    return true
  }

  /** The oldest request waiting with this msg_id, taken off. */
  takePending(msgId: string): Pending | undefined {
    let p: Pending | undefined
    if (this.byId === undefined) {
      const i = this.ids.indexOf(msgId)
      if (i < 0) return undefined
      p = this.heads[i]
      if (p.sameId === undefined) this.removeAt(i)
      else this.heads[i] = p.sameId
    } else {
      p = this.byId.get(msgId)
      if (p === undefined) return undefined
      if (p.sameId === undefined) this.byId.delete(msgId)
      else this.byId.set(msgId, p.sameId)
    }
    p.sameId = undefined
    this.inFlight--
    return p
  }

  hasPending(msgId: string): boolean {
    return this.head(msgId) !== undefined
  }

  removePending(msgId: string, p: Pending): void {
    const head = this.head(msgId)
    if (head === undefined) return
    if (head === p) {
      this.takePending(msgId)
      return
    }
    for (let q = head; q.sameId !== undefined; q = q.sameId) {
      if (q.sameId === p) {
        q.sameId = p.sameId
        p.sameId = undefined
        this.inFlight--
        return
      }
    }
  }

  /** Every request still waiting, oldest first. */
  allPending(): Pending[] {
    const out: Pending[] = []
    for (const head of this.byId?.values() ?? this.heads) for (let q: Pending | undefined = head; q !== undefined; q = q.sameId) out.push(q)
    return out.sort((x, y) => x.rec.info.t - y.rec.info.t)
  }

  private head(msgId: string): Pending | undefined {
    if (this.byId !== undefined) return this.byId.get(msgId)
    const i = this.ids.indexOf(msgId)
    return i < 0 ? undefined : this.heads[i]
  }

  /** A new chain for msgId (none waits with it), added last. */
  private setHead(msgId: string, p: Pending): void {
    if (this.byId !== undefined) {
      this.byId.set(msgId, p)
      return
    }
    if (this.ids.length < SCAN_MAX) {
      this.ids.push(msgId)
      this.heads.push(p)
    } else {
      this.byId = new Map()
      for (let j = 0; j < this.ids.length; j++) this.byId.set(this.ids[j], this.heads[j])
      this.byId.set(msgId, p)
      this.ids = []
      this.heads = []
    }
  }

  /** Drop entry i of the scanned arrays, keeping their order (splice would allocate the removed ones' array). */
  private removeAt(i: number): void {
    const ids = this.ids
    const heads = this.heads
    const last = ids.length - 1
    for (let j = i; j < last; j++) {
      ids[j] = ids[j + 1]
      heads[j] = heads[j + 1]
    }
    ids.pop()
    heads.pop()
  }

  /** msg_id was answered at t. */
  answered(msgId: string, t: number): void {
    this.answeredIds.add(msgId, t)
  }

  /** A reply to an msg_id answered before: when first, and how many replies now. */
  duplicate(msgId: string): {firstAnsweredAt: number; count: number} | undefined {
    return this.answeredIds.duplicate(msgId)
  }

  clear(): void {
    this.ids = []
    this.heads = []
    this.byId = undefined
    this.inFlight = 0
    this.answeredIds.clear()
  }

  /** Requests given up on at --timeout, so a late reply still pairs (made on first use). */
  expired: Map<string, Pending> | undefined
  /** Frames seen before the server side is known. */
  undecided: FrameRecord[] = []
  readonly finAt: [number | undefined, number | undefined] = [undefined, undefined]
  /** When each direction last lost bytes in the capture, and how. */
  readonly gapAt: [number | undefined, number | undefined] = [undefined, undefined]
  readonly gapCause: [GapCause | undefined, GapCause | undefined] = [undefined, undefined]
  endedBy: [('fin' | 'rst') | undefined, ('fin' | 'rst') | undefined] = [undefined, undefined]

  constructor(
    readonly flow: TcpFlow,
    readonly ref: ConnRef,
  ) {}

  sideOf(dir: Dir): Side {
    return dir === this.flow.requestDir ? 'client' : 'server'
  }
}
