// TinyPB transactions: within a connection, a request is paired with its
// response by msg_id; latency runs from the request's last byte to the
// response's last byte. What does not pair is reported with its likely cause.
// The per-connection state is in transactions-conn.ts, the memory of answered
// msg_ids in answered-ring.ts; this file holds the pairing rules.

import {durationText} from '../../stats/duration.js'
import {describeErrorCode, type FrameShape, type PeerFinding, type PeerFindingCode, peerSafety, ROCKET_EMPTY_MSG_ID_REPLY} from '../../../decoders/tinypb/index.js'
import {DEFAULT_TIMEOUT_MS, formatAddr} from '../../net/index.js'
import type {PayloadDecoder} from '../payload-decoder.js'
import {type Dir, type GapCause, serverByPorts, type TcpFlow} from '../reassembly/index.js'
import type {ConnRef, SniffEvent, UncertainReason} from '../events.js'
import {likelyCauses} from './causes.js'
import {ANSWERED_MEMORY, type ConnTransactions, type FrameRecord, type Pending, strongerReason} from './conn.js'
import type {SniffStats} from './stats.js'

export interface TrackerOptions {
  /** A request with no reply after this long is reported unanswered. Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number
  /** Decode pb_data (for -v, --json -v, or whenever a .proto is loaded). */
  payloads?: PayloadDecoder
  /** Report every frame as a `frame` event, besides the transactions. */
  frames?: boolean
}

/** What ended the wait for a server's FIN. */
const UNTIL: Record<'closed' | 'reused' | 'end', string> = {closed: 'given up on', reused: 'a new connection reused its ports', end: 'the capture ended'}

/** Each finding's place in the bits of TransactionTracker.reported (two per finding: request, response). */
const FINDING_BIT: Record<PeerFindingCode, number> = {
  MSG_ID_TOO_LONG: 0,
  METHOD_NAME_TOO_LONG: 1,
  ERR_INFO_TOO_LONG: 2,
  FRAME_DROPPED_BY_ROCKET: 3,
  METHOD_HAS_PACKAGE: 4,
  METHOD_WITHOUT_DOT: 5,
  EMPTY_MSG_ID: 6,
}

/** Frames held per connection while the server side is unknown. */
export const MAX_UNDECIDED = 64

/**
 * Answered requests left in the timeout queue before it is compacted (and only
 * while they are at least half of it, so compacting stays linear). Each one
 * keeps its connection's state alive: at a thousand, a capture of a connection
 * per call kept a thousand closed connections, which the young generation
 * promoted: the run spent 4x the time in scavenges and peaked 19 MB higher.
 */
const COMPACT_DONE_FROM = 32

export class TransactionTracker {
  private readonly timeoutMs: number
  /** Requests in deadline order: capture time only moves forward, so a FIFO is a timer queue here. */
  private queue: Pending[] = []
  private head = 0
  /** Answered requests still in the queue: dropped in bulk so the queue does not keep them alive until their deadline. */
  private doneInQueue = 0
  /** (role, finding) pairs already reported, as bits by method: a finding is reported once, counted always. */
  private readonly reported = new Map<string, number>()
  private reportedCount = 0
  /** When the capture last said it dropped packets. */
  private dropAt: number | undefined
  /** What peerSafety looks at, refilled for each frame (it keeps nothing of it). */
  private readonly shape: {-readonly [K in keyof FrameShape]: FrameShape[K]} = {pkLen: 0, msgIdLen: 0, methodNameLen: 0, errInfoLen: 0, methodName: ''}

  constructor(
    private readonly stats: SniffStats,
    private readonly emit: (e: SniffEvent) => void,
    private readonly opts: TrackerOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  /** Requests waiting for a reply, across connections. */
  get inFlight(): number {
    let n = 0
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i].done) n++
    return n
  }

  static refFor(flow: TcpFlow): ConnRef {
    return {
      id: flow.id,
      client: formatAddr(flow.client),
      server: formatAddr(flow.serverAddr),
      clientAddr: flow.client,
      serverAddr: flow.serverAddr,
      serverBy: flow.serverBy,
      midstream: flow.midstream,
    }
  }

  frame(c: ConnTransactions, rec: FrameRecord): void {
    if (c.flow.server === undefined) {
      if (!this.decideFrom(c, rec)) {
        c.undecided.push(rec)
        if (c.undecided.length > MAX_UNDECIDED) this.guessServer(c)
        return
      }
    }
    this.dispatch(c, rec)
  }

  /** Capture time moved to t: requests past their deadline are unanswered. */
  advance(t: number): void {
    const q = this.queue
    while (this.head < q.length && q[this.head].deadline < t) {
      const p = q[this.head++]
      if (p.done) {
        this.doneInQueue--
        continue
      }
      this.expire(p, 'timeout', t)
    }
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head)
      this.head = 0
    }
  }

  /** A queued request got its answer (or was expired out of order). */
  private settled(): void {
    this.doneInQueue++
    const live = this.queue.length - this.head
    if (this.doneInQueue > COMPACT_DONE_FROM && this.doneInQueue * 2 > live) {
      this.queue = this.queue.slice(this.head).filter((p) => !p.done)
      this.head = 0
      this.doneInQueue = 0
    }
  }

  /**
   * The capture lost (or cut) bytes of one direction at t. From the server: the
   * reply to anything still waiting may be among them, so none of those can be
   * called unanswered any more.
   */
  gap(c: ConnTransactions, dir: Dir, t: number, cause: GapCause): void {
    c.gapAt[dir] = t
    c.gapCause[dir] = cause
    if (c.inFlight === 0 || c.flow.server === undefined || c.sideOf(dir) !== 'server') return
    const r: UncertainReason = cause === 'truncated' ? 'truncated' : 'gap'
    for (const p of c.allPending()) p.uncertain = strongerReason(p.uncertain, r)
  }

  /** The capture dropped packets, as the source told at t: any reply still awaited may have been among them. */
  dropped(t: number): void {
    this.dropAt = t
    for (let i = this.head; i < this.queue.length; i++) {
      const p = this.queue[i]
      if (!p.done) p.uncertain = strongerReason(p.uncertain, 'drop')
    }
  }

  /** One direction ended (FIN, or RST). */
  end(c: ConnTransactions, dir: Dir, how: 'fin' | 'rst', t: number): void {
    c.endedBy[dir] = how
    if (how === 'fin') c.finAt[dir] = t
    if (how === 'fin' && c.inFlight > 0) for (const p of c.allPending()) if (p.rec.dir === dir) p.clientFinAfterMs ??= t - p.rec.info.t
    // The server can no longer answer what waits.
    if (c.flow.server !== undefined && c.sideOf(dir) === 'server') this.expireAll(c, 'closed', t)
  }

  /** The connection is over: settle everything still open on it. */
  close(c: ConnTransactions, reason: 'closed' | 'reused' | 'end', t: number): void {
    if (c.undecided.length > 0) this.guessServer(c)
    this.expireAll(c, reason === 'end' ? 'end' : 'closed', t)
    const clientDir = c.flow.requestDir
    const serverDir = (clientDir ^ 1) as Dir
    const clientFin = c.finAt[clientDir]
    // A capture that ends (-c, --duration, Ctrl-C, end of file) soon after the client's FIN says
    // nothing about the server yet: blame it only after the half-close timeout, the --timeout
    // after which the reassembler gives up on a half-closed connection in a longer capture.
    const gaveItTime = reason !== 'end' || (clientFin !== undefined && t - clientFin >= this.timeoutMs)
    if (c.flow.server !== undefined && clientFin !== undefined && c.endedBy[serverDir] === undefined && gaveItTime) {
      this.stats.counters.serverNoFin++
      this.emit({
        type: 'warning',
        t,
        conn: c.ref,
        code: 'SERVER_NO_FIN',
        message: `the server never closed its side after the client's FIN (${durationText(t - clientFin)}, until ${UNTIL[reason]}): its socket sits in CLOSE_WAIT; rocket never closes connections`,
      })
    }
    c.clear()
    c.expired = undefined
  }

  private decideFrom(c: ConnTransactions, rec: FrameRecord): boolean {
    const sender = rec.dir === 0 ? 'a' : 'b'
    // Only responses carry err_code/err_info; a msg_id the other side sent first is being answered.
    const answers = rec.info.errCode !== 0 || rec.info.errInfo !== '' || c.undecided.some((u) => u.dir !== rec.dir && u.info.msgId === rec.info.msgId)
    if (!answers) return false
    this.orient(c, sender, 'answer')
    return true
  }

  /** No answer told which side is the server: take the ports' word, else the first sender is the client. */
  guessServer(c: ConnTransactions): void {
    const f = c.flow
    if (f.server === undefined) {
      const first = c.undecided[0]
      const byFirstSender = first === undefined || first.dir === 0 ? 'b' : 'a'
      this.orient(c, serverByPorts(f.a.port, f.b.port) ?? byFirstSender, 'guess')
    }
  }

  private orient(c: ConnTransactions, server: 'a' | 'b', by: 'answer' | 'guess'): void {
    c.flow.setServer(server, by)
    const fresh = TransactionTracker.refFor(c.flow)
    c.ref.client = fresh.client
    c.ref.server = fresh.server
    c.ref.clientAddr = fresh.clientAddr
    c.ref.serverAddr = fresh.serverAddr
    c.ref.serverBy = fresh.serverBy
    const held = c.undecided
    c.undecided = []
    for (const r of held) this.dispatch(c, r)
  }

  private dispatch(c: ConnTransactions, rec: FrameRecord): void {
    if (c.sideOf(rec.dir) === 'client') this.request(c, rec)
    else this.response(c, rec)
  }

  private request(c: ConnTransactions, rec: FrameRecord): void {
    const info = rec.info
    this.stats.request(info.method)
    const findings = this.checkSafety(c, rec, 'request')
    const payloadBad = this.decodePayload(c, rec, 'request')
    if (this.opts.frames) this.emit({type: 'frame', t: info.t, conn: c.ref, role: 'request', frame: info})
    const p: Pending = {conn: c, rec, deadline: info.t + this.timeoutMs, findings, payloadBad, done: false, clientFinAfterMs: undefined, uncertain: undefined, expiredAs: undefined, sameId: undefined}
    // Held until the server side was known: what the capture lost since then counts against it too.
    const serverDir = (c.flow.requestDir ^ 1) as Dir
    const gapAt = c.gapAt[serverDir]
    if (gapAt !== undefined && gapAt >= info.t) p.uncertain = c.gapCause[serverDir] === 'truncated' ? 'truncated' : 'gap'
    if (this.dropAt !== undefined && this.dropAt >= info.t) p.uncertain = strongerReason(p.uncertain, 'drop')
    this.queue.push(p)
    if (c.addPending(info.msgId, p)) {
      this.stats.counters.duplicateMsgIds++
      this.emit({
        type: 'warning',
        t: info.t,
        conn: c.ref,
        code: 'DUPLICATE_MSG_ID',
        msgId: info.msgId,
        method: info.method,
        message: `msg_id ${info.msgId} is already in flight on this connection: replies cannot be told apart`,
      })
    }
  }

  private response(c: ConnTransactions, rec: FrameRecord): void {
    const info = rec.info
    this.stats.counters.responses++
    this.checkSafety(c, rec, 'response')
    this.decodePayload(c, rec, 'response')
    if (this.opts.frames) this.emit({type: 'frame', t: info.t, conn: c.ref, role: 'response', frame: info})

    let p = this.takePending(c, info.msgId)
    if (p === undefined && info.msgId === ROCKET_EMPTY_MSG_ID_REPLY && c.hasPending('')) {
      p = this.takePending(c, '')
      this.emit({
        type: 'warning',
        t: info.t,
        conn: c.ref,
        code: 'EMPTY_MSG_ID_REPLY',
        msgId: info.msgId,
        method: info.method,
        message: `rocket answered a request with an empty msg_id using msg_id "${ROCKET_EMPTY_MSG_ID_REPLY}"`,
      })
    }
    if (p !== undefined) {
      this.settle(c, p, rec, false)
      return
    }
    const late = c.expired?.get(info.msgId)
    if (late !== undefined) {
      c.expired!.delete(info.msgId)
      // Reported unanswered (or uncertain) at --timeout; the reply came after all.
      if (late.expiredAs === undefined || late.expiredAs === 'unanswered') this.stats.unansweredUndo(late.rec.info.method)
      else this.stats.uncertainUndo(late.expiredAs, late.rec.info.method)
      this.settle(c, late, rec, true)
      return
    }
    // A re-sent reply was counted (error or not) when it first paired: only the duplicate is news.
    const dup = c.duplicate(info.msgId)
    if (dup !== undefined) {
      this.stats.counters.duplicateResponses++
      this.emit({type: 'duplicate-response', t: info.t, conn: c.ref, response: info, firstAnsweredAt: dup.firstAnsweredAt, count: dup.count})
      return
    }
    if (info.errCode !== 0) {
      this.stats.counters.errorResponses++
      this.stats.orphanError(info.method)
    }
    const why = this.requestMayBeLost(c, rec)
    if (why !== undefined) {
      this.stats.uncertain(why, undefined)
      this.emit({type: 'uncertain', t: info.t, conn: c.ref, reason: why, note: uncertainNote(why, 'response'), response: info})
      return
    }
    this.stats.counters.orphanResponses++
    const serverDir = (c.flow.requestDir ^ 1) as Dir
    const note =
      c.flow.midstream && c.flow.halves[serverDir].synSeen === false
        ? 'the capture started after the connection: the request may precede it'
        : 'no request with this msg_id was seen on this connection'
    this.emit({type: 'orphan-response', t: info.t, conn: c.ref, response: info, note})
  }

  /**
   * A reply with no request seen: was the request perhaps in what the capture
   * missed? Its own bytes seen twice with different data, bytes the client sent
   * lost or cut within --timeout before it, or packets dropped then.
   */
  private requestMayBeLost(c: ConnTransactions, rec: FrameRecord): UncertainReason | undefined {
    if (rec.uncertain !== undefined) return rec.uncertain
    const since = rec.info.t - this.timeoutMs
    const clientDir = c.flow.requestDir
    const gapAt = c.gapAt[clientDir]
    if (gapAt !== undefined && gapAt >= since) return c.gapCause[clientDir] === 'truncated' ? 'truncated' : 'gap'
    if (this.dropAt !== undefined && this.dropAt >= since) return 'drop'
    return undefined
  }

  /**
   * A request and its reply. Paired, unless the bytes of either were seen twice
   * with different data: then what the peers read is unknown, and the call is
   * uncertain (a reply that did come settles a lost-bytes doubt, not that one).
   */
  private settle(c: ConnTransactions, p: Pending, rec: FrameRecord, late: boolean): void {
    if (p.rec.uncertain !== 'conflict' && rec.uncertain !== 'conflict') {
      this.pair(c, p, rec, late)
      return
    }
    const req = p.rec.info
    const res = rec.info
    if (res.errCode !== 0) {
      this.stats.counters.errorResponses++
      this.stats.orphanError(req.method)
    }
    c.answered(req.msgId, res.t)
    this.stats.uncertain('conflict', req.method)
    this.emit({type: 'uncertain', t: res.t, conn: c.ref, reason: 'conflict', note: uncertainNote('conflict', 'both'), request: req, response: res, latencyMs: res.t - req.t})
  }

  private takePending(c: ConnTransactions, msgId: string): Pending | undefined {
    const p = c.takePending(msgId)
    if (p === undefined) return undefined
    p.done = true
    this.settled()
    return p
  }

  private pair(c: ConnTransactions, p: Pending, rec: FrameRecord, late: boolean): void {
    const req = p.rec.info
    const res = rec.info
    const latencyMs = res.t - req.t
    const error = res.errCode !== 0
    if (error) this.stats.counters.errorResponses++
    this.stats.answered(req.method, latencyMs, error)
    c.answered(req.msgId, res.t)
    this.emit({
      type: 'transaction',
      t: res.t,
      conn: c.ref,
      request: req,
      response: res,
      latencyMs,
      status: error ? 'error' : 'ok',
      errName: error ? describeErrorCode(res.errCode) : undefined,
      late: late ? true : undefined,
    })
    if (res.method !== req.method) {
      this.emit({
        type: 'warning',
        t: res.t,
        conn: c.ref,
        code: 'METHOD_MISMATCH',
        msgId: res.msgId,
        method: res.method,
        message: `the reply to msg_id ${req.msgId} names method "${res.method}", the request "${req.method}"`,
      })
    }
  }

  private expire(p: Pending, reason: 'timeout' | 'closed' | 'end', t: number): void {
    const c = p.conn
    p.done = true
    // At its deadline it has just left the queue; otherwise it is still in it.
    if (reason !== 'timeout') this.settled()
    const req = p.rec.info
    c.removePending(req.msgId, p)
    const why = p.rec.uncertain === undefined ? p.uncertain : strongerReason(p.uncertain, p.rec.uncertain)
    p.expiredAs = why ?? 'unanswered'
    if (reason === 'timeout') {
      c.expired ??= new Map()
      if (c.expired.size >= ANSWERED_MEMORY) c.expired.delete(c.expired.keys().next().value!)
      c.expired.set(req.msgId, p)
    }
    if (why !== undefined) {
      this.stats.uncertain(why, req.method)
      this.emit({type: 'uncertain', t, conn: c.ref, reason: why, note: uncertainNote(why, 'request'), request: req, waitedMs: t - req.t, waitEnded: reason})
      return
    }
    this.stats.unanswered(req.method)
    const clientDir = c.flow.requestDir
    const serverDir = (clientDir ^ 1) as Dir
    // A server FIN that answers the client's FIN (tinyrpc, our serve) is not the server walking away.
    const serverFin = c.finAt[serverDir]
    const clientFin = c.finAt[clientDir]
    const serverWalkedAway = c.endedBy[serverDir] === 'rst' || (serverFin !== undefined && (clientFin === undefined || serverFin < clientFin))
    const causes = likelyCauses({
      size: req.size,
      method: req.method,
      findings: p.findings,
      segmentBytes: p.rec.segmentBytes,
      clientFinAfterMs: p.clientFinAfterMs,
      serverEnded: serverWalkedAway ? c.endedBy[serverDir] : undefined,
      methodKnown: this.opts.payloads?.knowsMethod(req.method),
      payloadBad: p.payloadBad,
    })
    this.emit({type: 'unanswered', t, conn: c.ref, request: req, waitedMs: t - req.t, reason, causes})
  }

  private expireAll(c: ConnTransactions, reason: 'closed' | 'end', t: number): void {
    if (c.inFlight === 0) return
    for (const p of c.allPending()) if (!p.done) this.expire(p, reason, t)
  }

  private checkSafety(c: ConnTransactions, rec: FrameRecord, role: 'request' | 'response'): readonly PeerFinding[] {
    const info = rec.info
    const shape = this.shape
    shape.pkLen = info.size
    shape.msgIdLen = rec.msgIdLen
    shape.methodNameLen = rec.methodNameLen
    shape.errInfoLen = rec.errInfoLen
    shape.methodName = info.method
    const findings = peerSafety(shape, role)
    if (findings.length > 0) info.findings = findings
    for (const finding of findings) {
      this.stats.counters.peerSafetyFindings++
      // One bit per (role, finding) under the method's name: no key string built and hashed per finding.
      const bit = 2 ** (2 * FINDING_BIT[finding.code] + (role === 'request' ? 0 : 1))
      const seen = this.reported.get(info.method) ?? 0
      if ((seen & bit) !== 0 || this.reportedCount > 10_000) continue
      this.reported.set(info.method, seen | bit)
      this.reportedCount++
      this.emit({
        type: 'warning',
        t: info.t,
        conn: c.ref,
        code: 'PEER_SAFETY',
        msgId: info.msgId,
        method: info.method,
        finding,
        message: `${role} ${finding.message} (reported once per method; the summary counts them all)`,
      })
    }
    return findings
  }

  /** Decode pb_data into info.payload; true when it did not decode. */
  private decodePayload(c: ConnTransactions, rec: FrameRecord, role: 'request' | 'response'): boolean {
    const decoder = this.opts.payloads
    if (decoder === undefined || rec.pb === undefined) return false
    const info = rec.info
    const result = decoder.decode(info.method, role, rec.pb)
    info.payload = result
    if (result.ok) return false
    this.stats.counters.payloadErrors++
    // An unknown method is reported through its request's fate; a bad payload here and now.
    if (result.code !== 'UNKNOWN_METHOD') {
      this.emit({type: 'warning', t: info.t, conn: c.ref, code: 'PAYLOAD', msgId: info.msgId, method: info.method, message: `${role} payload: ${result.message}`})
    }
    return true
  }
}

/** Why an uncertain call is uncertain, for humans; `seen` says which of its frames the capture has. */
export function uncertainNote(r: UncertainReason, seen: 'request' | 'response' | 'both'): string {
  if (seen === 'both') return 'request and reply paired, but bytes of one of them were seen twice with different data: what the peer read is unknown'
  if (seen === 'request') {
    switch (r) {
      case 'gap':
        return 'no reply seen, but the capture lost bytes the server sent while the request waited: the reply may be among them'
      case 'truncated':
        return 'no reply seen, but the capture kept only part of packets the server sent while the request waited (snap length): the reply may be in what it cut'
      case 'drop':
        return 'no reply seen, but packets were dropped while the request waited (kernel capture buffer or rpcdiag falling behind): the reply may be among them'
      case 'conflict':
        return "no reply seen, and the request's bytes were seen twice with different data: what the server read is unknown"
    }
  }
  switch (r) {
    case 'gap':
      return 'a reply with no request seen, but the capture lost bytes the client sent before it: the request may be among them'
    case 'truncated':
      return 'a reply with no request seen, but the capture kept only part of packets the client sent before it (snap length): the request may be in what it cut'
    case 'drop':
      return 'a reply with no request seen, but packets were dropped before it (kernel capture buffer or rpcdiag falling behind): the request may be among them'
    case 'conflict':
      return "a reply with no request seen, and the reply's bytes were seen twice with different data: its msg_id may not be the one sent"
  }
}
