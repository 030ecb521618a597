// Ladder (sequence) diagrams of chosen connections, like Wireshark's flow
// graph: SYN, requests, replies, duplicates, FIN and RST in time order.
//
// Every connection collects its events while it is open, bounded: its first
// HEAD events, every anomaly (up to PINNED), its slowest call and its FINs.
// When it closes it is kept if it is among the SLOWEST connections (by their
// slowest call), if it had anything unanswered or anomalous (up to
// MAX_ANOMALOUS), or as one of SAMPLE ordinary connections drawn at random;
// otherwise it is dropped. So a capture of a million connections keeps a few
// hundred ladders, and a long-lived connection of a million calls keeps a few
// hundred events.
//
// There is no ring of a long connection's latest events: an item that lives
// for the next N events of its connection outlives the young generation and
// takes its event (frames, strings) into the old one, which cost more than
// the rest of the report together on a 200,000-call capture.

import {type ConnRef, type Side, type SniffEvent, UNANSWERED_REASON_TEXT} from '../sniff/index.js'
import {Reservoir} from '../stats/index.js'
import type {Ladder, LadderItem, Ladders} from './data.js'

export interface LadderLimits {
  readonly head?: number
  readonly pinned?: number
  readonly slowest?: number
  readonly maxAnomalous?: number
  readonly sample?: number
}

const DEFAULTS: Required<LadderLimits> = {head: 60, pinned: 100, slowest: 5, maxAnomalous: 200, sample: 20}

/**
 * One event of a connection as collected: the label is made only for the events a kept
 * ladder shows (most are dropped from the ring), from the event itself.
 */
interface Item {
  readonly t: number
  /** Arrival order on its connection. */
  seq: number
  readonly kind: string
  readonly from: Side | undefined
  readonly status: string | undefined
  readonly msgId: string | undefined
  readonly ev: SniffEvent | undefined
  /** A fixed label (SYN, FIN, RST); otherwise made from ev. */
  readonly text: string | undefined
}

function item(t: number, kind: string, from: Side | undefined, ev: SniffEvent | undefined, status?: string, msgId?: string, text?: string): Item {
  return {t, seq: 0, kind, from, status, msgId, ev, text}
}

/** The words of a ladder line. */
function labelOf(it: Item): string {
  const e = it.ev
  if (it.text !== undefined || e === undefined) return it.text ?? it.kind
  switch (e.type) {
    case 'transaction': {
      if (it.kind === 'request') return `${e.request.method} #${e.request.msgId} ${e.request.size} B`
      const res = e.response
      const what = e.status === 'ok' ? 'OK' : `ERR ${res.errCode} ${e.errName ?? ''}`.trim()
      return `${what} #${res.msgId} ${res.size} B, ${e.latencyMs.toFixed(3)} ms`
    }
    case 'unanswered':
      return `${e.request.method} #${e.request.msgId} ${e.request.size} B: UNANSWERED after ${e.waitedMs.toFixed(3)} ms (${UNANSWERED_REASON_TEXT[e.reason]})`
    case 'duplicate-response':
      return `DUPLICATE reply #${e.response.msgId} (reply ${e.count})`
    case 'orphan-response':
      return `reply #${e.response.msgId} without a request: ${e.note}`
    case 'malformed':
      return `malformed ${e.code}: ${e.message}`
    case 'gap':
      return `${e.missing} bytes lost by the capture`
    case 'warning':
      return `${e.code}: ${e.message}`
    default:
      return it.kind
  }
}

class ConnEvents {
  readonly head: Item[] = []
  /** Ring of the last events. */
  /** FIN of each side: how the connection ended, kept past the head. */
  readonly ends: Item[] = []
  readonly pinned: Item[] = []
  slowest: {ms: number; items: Item[]} | undefined
  seen = 0
  closedMs: number | undefined
  closeReason: string | undefined
  /** Anomaly counts by kind: the reasons this connection is worth a look. */
  readonly counts = new Map<string, number>()
  /** Unanswered request items by msg_id: a late reply finds its request. */
  readonly unanswered = new Map<string, Item>()

  constructor(
    readonly ref: ConnRef,
    readonly openedMs: number,
    private readonly limits: Required<LadderLimits>,
  ) {}

  add(it: Item, pin: string | undefined): Item {
    it.seq = this.seen++
    if (this.head.length < this.limits.head) this.head.push(it)
    else if (it.kind === 'fin' && this.ends.length < 2) this.ends.push(it)
    if (pin !== undefined) {
      this.counts.set(pin, (this.counts.get(pin) ?? 0) + 1)
      if (this.pinned.length < this.limits.pinned) this.pinned.push(it)
    }
    return it
  }

  /** The head is full: an ordinary event past it is only counted. */
  get full(): boolean {
    return this.head.length >= this.limits.head
  }

  /** Events not kept (past the head, nothing special). */
  skip(n: number): void {
    this.seen += n
  }

  get anomalous(): boolean {
    return this.counts.size > 0
  }

  items(): Item[] {
    const all = new Set<Item>([...this.head, ...this.ends, ...this.pinned, ...(this.slowest?.items ?? [])])
    return [...all].sort((a, b) => a.t - b.t || a.seq - b.seq)
  }
}

const PIN_TEXT: Record<string, (n: number) => string> = {
  unanswered: (n) => `${n} unanswered`,
  late: (n) => `${n} answered after --timeout`,
  error: (n) => `${n} error ${n === 1 ? 'reply' : 'replies'}`,
  duplicate: (n) => `${n} duplicate ${n === 1 ? 'reply' : 'replies'}`,
  orphan: (n) => `${n} ${n === 1 ? 'reply' : 'replies'} without a request`,
  malformed: (n) => `${n} malformed`,
  gap: (n) => `${n} capture ${n === 1 ? 'gap' : 'gaps'}`,
  rst: () => 'RST',
  warning: (n) => `${n} ${n === 1 ? 'warning' : 'warnings'}`,
}

/** An error reply alone does not make a connection worth keeping: every other pinned kind does. */
const NOT_ON_ITS_OWN = 'error'

export class LadderCollector {
  private readonly open = new Map<number, ConnEvents>()
  private readonly slowest: ConnEvents[] = []
  private readonly anomalous: ConnEvents[] = []
  private anomalousDropped = 0
  private readonly sample: Reservoir<ConnEvents>
  private connections = 0
  private readonly limits: Required<LadderLimits>

  constructor(
    limits: LadderLimits = {},
    /** A reply's status key (ok, error, late, ...): the report's one definition. */
    private readonly statusOf: (e: Extract<SniffEvent, {type: 'transaction'}>) => string,
  ) {
    this.limits = {...DEFAULTS, ...limits}
    this.sample = new Reservoir(this.limits.sample, 0x1add3)
  }

  event(e: SniffEvent): void {
    if (e.conn === undefined) return
    const c = this.conn(e.conn, e.t)
    switch (e.type) {
      case 'connection':
        if (e.state === 'fin') c.add(item(e.t, 'fin', e.from, undefined, undefined, undefined, 'FIN'), undefined)
        else if (e.state === 'close') {
          if (e.reason === 'rst') c.add(item(e.t, 'rst', e.resetBy, undefined, undefined, undefined, 'RST'), 'rst')
          c.closedMs = e.t
          c.closeReason = e.reason
          this.close(c)
        }
        return
      case 'transaction': {
        const status = this.statusOf(e)
        // Most calls of a long connection: past its head, answered, not its slowest. Made into nothing.
        if (c.full && status === 'ok' && c.slowest !== undefined && e.latencyMs <= c.slowest.ms) {
          c.skip(2)
          return
        }
        const req = e.request
        const known = e.late ? c.unanswered.get(req.msgId) : undefined
        const reqItem = known ?? c.add(item(req.t, 'request', 'client', e, undefined, req.msgId), undefined)
        const resItem = c.add(item(e.response.t, 'reply', 'server', e, status, e.response.msgId), status === 'ok' ? undefined : status)
        if (c.slowest === undefined || e.latencyMs > c.slowest.ms) c.slowest = {ms: e.latencyMs, items: [reqItem, resItem]}
        return
      }
      case 'unanswered': {
        const it = c.add(item(e.request.t, 'request', 'client', e, 'unanswered', e.request.msgId), 'unanswered')
        c.unanswered.set(e.request.msgId, it)
        return
      }
      case 'duplicate-response':
        c.add(item(e.t, 'duplicate', 'server', e, 'duplicate', e.response.msgId), 'duplicate')
        return
      case 'orphan-response':
        c.add(item(e.t, 'orphan', 'server', e, 'orphan', e.response.msgId), 'orphan')
        return
      case 'malformed':
        c.add(item(e.t, 'malformed', e.from, e), 'malformed')
        return
      case 'gap':
        c.add(item(e.t, 'gap', e.from, e), 'gap')
        return
      case 'warning':
        c.add(item(e.t, 'warning', undefined, e, undefined, e.msgId), 'warning')
        return
      default:
        return
    }
  }

  /** After the capture: connections still open (there are none after SniffSession.finish) are judged too. */
  finish(): Ladders {
    for (const c of [...this.open.values()]) this.close(c)
    const kept = new Map<number, {c: ConnEvents; why: string[]}>()
    const note = (c: ConnEvents, why: string) => {
      const k = kept.get(c.ref.id)
      if (k === undefined) kept.set(c.ref.id, {c, why: [why]})
      else if (!k.why.includes(why)) k.why.push(why)
    }
    this.slowest.sort((a, b) => b.slowest!.ms - a.slowest!.ms)
    this.slowest.forEach((c, i) => note(c, i === 0 ? `slowest call ${c.slowest!.ms.toFixed(3)} ms` : `${i + 1}. slowest call ${c.slowest!.ms.toFixed(3)} ms`))
    for (const c of this.anomalous) for (const [kind, n] of c.counts) note(c, PIN_TEXT[kind]?.(n) ?? `${n} ${kind}`)
    for (const c of [...this.sample.kept].sort((a, b) => a.ref.id - b.ref.id)) note(c, 'random sample')
    const conns: Ladder[] = [...kept.values()].map(({c, why}) => this.ladder(c, why))
    const parts = [
      `the ${Math.min(this.limits.slowest, this.slowest.length)} connections with the slowest calls`,
      `every connection with an unanswered call or another anomaly${this.anomalousDropped > 0 ? ` (the first ${this.limits.maxAnomalous}; ${this.anomalousDropped} more not kept)` : ''}`,
      `${this.sample.kept.length} others drawn at random`,
    ]
    return {
      conns,
      totalConnections: this.connections,
      note: `${conns.length} of ${this.connections} connections kept: ${parts.join(', ')}. A connection keeps its first ${this.limits.head} events, every anomaly, its slowest call and its FINs.`,
    }
  }

  private conn(ref: ConnRef, t: number): ConnEvents {
    let c = this.open.get(ref.id)
    if (c === undefined) {
      c = new ConnEvents(ref, t, this.limits)
      this.open.set(ref.id, c)
      this.connections++
    }
    return c
  }

  private close(c: ConnEvents): void {
    this.open.delete(c.ref.id)
    if (c.slowest !== undefined) {
      const s = this.slowest
      if (s.length < this.limits.slowest) s.push(c)
      else {
        let min = 0
        for (let i = 1; i < s.length; i++) if (s[i].slowest!.ms < s[min].slowest!.ms) min = i
        if (c.slowest.ms > s[min].slowest!.ms) s[min] = c
      }
    }
    if ([...c.counts.keys()].some((k) => k !== NOT_ON_ITS_OWN)) {
      if (this.anomalous.length < this.limits.maxAnomalous) this.anomalous.push(c)
      else this.anomalousDropped++
      return
    }
    this.sample.offer(c)
  }

  private ladder(c: ConnEvents, why: string[]): Ladder {
    const items: LadderItem[] = c.items().map((it) => ({
      t: it.t,
      ...(it.from !== undefined ? {from: it.from} : {}),
      kind: it.kind,
      label: labelOf(it),
      ...(it.status !== undefined ? {status: it.status} : {}),
      ...(it.msgId !== undefined ? {msgId: it.msgId} : {}),
    }))
    const open: LadderItem = c.ref.midstream
      ? {t: c.openedMs, kind: 'midstream', label: 'already open when the capture started'}
      : {t: c.openedMs, from: 'client', kind: 'syn', label: 'SYN'}
    return {
      conn: c.ref.id,
      client: c.ref.client,
      server: c.ref.server,
      why,
      openedMs: c.openedMs,
      ...(c.closedMs !== undefined ? {closedMs: c.closedMs, closeReason: c.closeReason} : {}),
      items: [open, ...items],
      omitted: c.seen - items.length,
    }
  }
}
