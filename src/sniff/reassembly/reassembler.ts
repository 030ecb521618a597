// The reassembler: segments in, per-connection events out (see index.ts).

import {TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment} from '../../../decoders/packet/segment.js'
import {DEFAULT_TIMEOUT_MS, inPortRanges, type PortRange} from '../../net/index.js'
import {DEFAULT_MAX_HELD_BYTES} from './limits.js'
import {type CloseReason, FlowTable, type TcpFlow as Flow, TcpFlow} from './flow.js'
import {type Dir, type GapCause, type HalfOutput, HalfStream} from './half-stream.js'
import type {Mismatch} from './sent-window.js'

/** What the reassembler reports. Times are ms since the capture's first second (see Reassembler.baseSec). */
export interface ReassemblySink<U> {
  open(flow: Flow<U>, t: number): void
  /** In-order bytes of one direction. Only valid during the call: copy what must outlive it. */
  data(flow: Flow<U>, dir: Dir, bytes: Uint8Array, t: number): void
  /** The capture lost `missing` bytes of this direction (or cut them off a packet); the next data starts after the hole. */
  gap(flow: Flow<U>, dir: Dir, missing: number, t: number, cause: GapCause): void
  /**
   * Two copies of the same bytes of this direction disagreed (a retransmission
   * with different data). `offset` is the stream position of the first byte that
   * differs, counted like the bytes of data(): delivered bytes only, gaps not counted.
   */
  conflict(flow: Flow<U>, dir: Dir, m: Mismatch, offset: number, t: number): void
  /**
   * The server answered this connection's SYN with a bare ACK (a challenge ACK
   * for an older connection it still holds on these ports), and the client
   * reset and retried (retried), or did not before the connection ended.
   */
  stale(flow: Flow<U>, t: number, retried: boolean): void
  /** This direction ended: everything up to its FIN arrived, or a RST. */
  end(flow: Flow<U>, dir: Dir, how: 'fin' | 'rst', t: number): void
  /** The connection's held out-of-order bytes passed the limit; the oldest hole is skipped as a gap. */
  limit(flow: Flow<U>, dir: Dir, heldBytes: number, t: number): void
  close(flow: Flow<U>, reason: CloseReason, t: number): void
}

export interface ReassemblyOptions {
  /** Ports that identify the server side (rpcdiag sniff --port): ranges of any size, never expanded. */
  serverPorts?: readonly PortRange[]
  /** Out-of-order bytes held per connection before the oldest hole is given up on. Default 16 MiB. */
  maxHeldBytes?: number
  /** A connection with one side's FIN and nothing since is closed after this long. Default DEFAULT_TIMEOUT_MS. */
  halfClosedTimeoutMs?: number
  /** A connection with no segments for this long is closed. Default 10 minutes. */
  idleTimeoutMs?: number
}

export interface ReassemblyStats {
  segments: number
  /** Segments on no known connection that could not start one (stray ACKs, FINs, RSTs). */
  unattached: number
  /** Payload bytes of segments on no connection: stragglers of a closed connection, data after a direction's end. */
  unattributedBytes: number
  /** Payload bytes that repeated sequence numbers already seen (retransmissions, overlaps). */
  duplicateBytes: number
  /** Segments the capture kept only part of (the packet was longer than the snap length). */
  truncated: number
  /** Connections whose SYN was answered by a challenge ACK (a stale server socket on the same ports). */
  staleSockets: number
  retransmits: number
  outOfOrder: number
  gaps: number
  gapBytes: number
  limitHits: number
  connections: number
}

const SWEEP_EVERY_MS = 1000
/**
 * A connection closed by RST or a timeout is remembered this long so that data
 * still in flight is not taken for a new connection that started mid-stream.
 */
const CLOSED_LINGER_MS = 2000
/**
 * Data on a closed connection this far from where its sender's stream stood
 * cannot be a straggler of it: a new connection on the same ports whose SYN the
 * capture missed.
 */
const STRAGGLER_WINDOW = 1 << 20

export class Reassembler<U = unknown> implements HalfOutput<Flow<U>> {
  /** Whole seconds of the first segment: every t is ms since then, exact to the nanosecond for days. */
  baseSec: number | undefined
  /** Latest capture time seen. */
  now = 0
  readonly stats: ReassemblyStats = {
    segments: 0,
    unattached: 0,
    unattributedBytes: 0,
    duplicateBytes: 0,
    truncated: 0,
    staleSockets: 0,
    retransmits: 0,
    outOfOrder: 0,
    gaps: 0,
    gapBytes: 0,
    limitHits: 0,
    connections: 0,
  }
  /** Out-of-order bytes held across connections (the half-streams keep it). */
  heldBytes = 0
  private readonly flows = new FlowTable<U>()
  private nextId = 1
  private lastSweep = 0
  private readonly serverPorts: readonly PortRange[]
  private readonly maxHeld: number
  private readonly halfClosedMs: number
  private readonly idleMs: number

  constructor(
    private readonly sink: ReassemblySink<U>,
    opts: ReassemblyOptions = {},
  ) {
    this.serverPorts = opts.serverPorts ?? []
    this.maxHeld = opts.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES
    this.halfClosedMs = opts.halfClosedTimeoutMs ?? DEFAULT_TIMEOUT_MS
    this.idleMs = opts.idleTimeoutMs ?? 600_000
  }

  /** Connections still open. */
  get openFlows(): number {
    let n = 0
    for (const f of this.flows.all()) if (f.state === 'open') n++
    return n
  }

  /** The connections still open (a snapshot). */
  openConnections(): Array<Flow<U>> {
    return this.flows.all().filter((f) => f.state === 'open')
  }

  /**
   * Give up on what a connection holds out of order: each hole is reported as a
   * gap and the data held after it delivered (the global budget's last resort).
   */
  skipHeld(flow: Flow<U>, t: number): void {
    for (const half of flow.halves) while (half.holding) half.skipGap(t)
  }

  /** ms since baseSec for a capture timestamp. */
  timeOf(tsSec: number, tsNsec: number): number {
    this.baseSec ??= tsSec
    return (tsSec - this.baseSec) * 1000 + tsNsec / 1e6
  }

  push(seg: TcpSegment): void {
    const t = this.timeOf(seg.tsSec, seg.tsNsec)
    this.advance(t)
    this.stats.segments++
    const flags = seg.flags
    if (seg.wireLength !== undefined && seg.wireLength > seg.payload.length) this.stats.truncated++
    // A connection request: SYN without ACK.
    const syn = (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN
    let flow = this.flows.find(seg.src, seg.srcPort, seg.dst, seg.dstPort)
    if (flow !== undefined && flow.state === 'closed') {
      // After a close (RST, timeout) a SYN on the four-tuple is a new connection, whatever its ISN:
      // a client that answered a challenge ACK with RST retries with the same one.
      if (!syn && !this.startsAnew(flow, seg)) {
        // A straggler of the closed connection.
        this.stats.unattributedBytes += seg.payload.length
        flow.lastT = t
        return
      }
      this.flows.delete(flow)
      flow = undefined
    } else if (flow !== undefined && syn) {
      flow = this.synOnOpen(flow, seg, t)
    }
    if (flow === undefined) {
      if ((flags & TCP_SYN) === 0 && seg.payload.length === 0) {
        this.stats.unattached++
        return
      }
      flow = this.open(seg, t)
    }
    const dir = this.dirOf(flow, seg)!
    if (this.challenge(flow, dir, seg, t)) return
    const half = flow.halves[dir]
    const other = flow.halves[dir ^ 1]
    flow.lastT = t
    flow.packets++
    flow.bytes += seg.payload.length

    if ((flags & TCP_SYN) !== 0) {
      // The SYN's destination (the SYN-ACK's source) is the server, unless --port said otherwise.
      const serverIsDst = (flags & TCP_ACK) === 0
      const dstSide = dir === 0 ? 'b' : 'a'
      const srcSide = dir === 0 ? 'a' : 'b'
      flow.setServer(serverIsDst ? dstSide : srcSide, 'syn')
      half.syn(seg.seq)
    }
    // The ACK speaks about the other direction, and was sent after what it acknowledges.
    if ((flags & TCP_ACK) !== 0) other.ack(seg.ack, t)

    const dataSeq = (flags & TCP_SYN) !== 0 ? (seg.seq + 1) >>> 0 : seg.seq
    if (!half.started && (seg.payload.length > 0 || (flags & TCP_FIN) !== 0)) flow.midstream = true
    half.segment(dataSeq, seg.payload, (flags & TCP_FIN) !== 0, t, seg.wireLength)
    if (flow.heldBytes > this.maxHeld) this.overLimit(flow, t)

    if ((flags & TCP_RST) !== 0) {
      flow.resetBy ??= dir
      this.resetFlow(flow, t)
      return
    }
    if (flow.halves[0].ended !== undefined && flow.halves[1].ended !== undefined) this.close(flow, 'fin', t)
  }

  /**
   * Move capture time forward without a segment (a live capture's clock tick):
   * closes half-closed and idle connections whose time has come.
   */
  advance(t: number): void {
    if (t > this.now) this.now = t
    if (this.now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(this.now)
  }

  /** End of capture: report every hole, deliver what was held, close every connection. */
  finish(): void {
    const t = this.now
    for (const flow of this.flows.all()) {
      if (flow.state === 'open') {
        flow.halves[0].flush(t)
        flow.halves[1].flush(t)
        this.close(flow, 'end', t)
      }
    }
    this.flows.clear()
  }

  // HalfOutput: a half-stream's events, passed on with its connection.
  data(half: HalfStream<Flow<U>>, bytes: Uint8Array, t: number): void {
    this.sink.data(half.flow, half.dir, bytes, t)
  }

  gap(half: HalfStream<Flow<U>>, missing: number, t: number, cause: GapCause): void {
    this.stats.gaps++
    this.stats.gapBytes += missing
    this.sink.gap(half.flow, half.dir, missing, t, cause)
  }

  conflict(half: HalfStream<Flow<U>>, m: Mismatch, t: number): void {
    this.sink.conflict(half.flow, half.dir, m, half.delivered + ((m.seq - half.next) | 0), t)
  }

  fin(half: HalfStream<Flow<U>>, t: number): void {
    this.sink.end(half.flow, half.dir, 'fin', t)
  }

  private open(seg: TcpSegment, t: number): Flow<U> {
    const halves: [HalfStream<Flow<U>>, HalfStream<Flow<U>>] = [new HalfStream(0, this), new HalfStream(1, this)]
    const flow = new TcpFlow<U>(this.nextId++, {host: seg.src, port: seg.srcPort}, {host: seg.dst, port: seg.dstPort}, t, halves)
    halves[0].flow = flow
    halves[1].flow = flow
    if (inPortRanges(seg.dstPort, this.serverPorts)) flow.setServer('b', 'port')
    else if (inPortRanges(seg.srcPort, this.serverPorts)) flow.setServer('a', 'port')
    this.flows.add(flow)
    this.stats.connections++
    this.sink.open(flow, t)
    return flow
  }

  private dirOf(flow: Flow<U>, seg: TcpSegment): Dir | undefined {
    if (seg.srcPort === flow.a.port && seg.src === flow.a.host) return 0
    if (seg.srcPort === flow.b.port && seg.src === flow.b.host) return 1
    return undefined
  }

  /**
   * Data on a closed connection that does not fit where its sender's stream
   * stood: a new connection on the same ports, begun before the capture saw it.
   */
  private startsAnew(flow: Flow<U>, seg: TcpSegment): boolean {
    if (seg.payload.length === 0) return false
    const half = flow.halves[this.dirOf(flow, seg)!]
    if (!half.started) return true
    const rel = (seg.seq - half.next) | 0
    return rel > STRAGGLER_WINDOW || rel < -STRAGGLER_WINDOW
  }

  /**
   * A SYN on an open connection. Its own SYN again (a retransmission, or the
   * retry after a challenge ACK) belongs to it, and so does a new SYN from the
   * side whose SYN was never answered (a new attempt). Any other SYN does not
   * fit the connection's sequence space: the ports were reused (rocket's
   * CLOSE_WAIT sockets on the server, a client binding the same port), so the
   * old connection ends and a new one begins. Returns the flow the SYN belongs to.
   */
  private synOnOpen(flow: Flow<U>, seg: TcpSegment, t: number): Flow<U> | undefined {
    const dir = this.dirOf(flow, seg)!
    const half = flow.halves[dir]
    const waiting = flow.awaitingSynAck()
    if (!(half.synSeen && half.isn === seg.seq)) {
      if (waiting !== dir) {
        for (const h of flow.halves) h.flush(t)
        this.close(flow, 'reused', t)
        this.flows.delete(flow)
        return undefined
      }
      half.restart()
    }
    if (flow.challengeAt !== undefined && waiting === dir) {
      flow.challengeAt = undefined
      this.stats.staleSockets++
      this.sink.stale(flow, t, true)
    }
    return flow
  }

  /**
   * The challenge-ACK exchange on a connection whose SYN is unanswered: the
   * server's bare ACK (for the older connection it still holds on these ports),
   * and the client's RST that answers it. Neither belongs to the new
   * connection's streams; the client retries its SYN next. True when the
   * segment was one of them.
   */
  private challenge(flow: Flow<U>, dir: Dir, seg: TcpSegment, t: number): boolean {
    if (seg.payload.length > 0) return false
    const waiting = flow.awaitingSynAck()
    if (waiting === undefined) return false
    const flags = seg.flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)
    const challengeAck = dir !== waiting && flags === TCP_ACK
    const itsReset = dir === waiting && (flags & TCP_RST) !== 0 && flow.challengeAt !== undefined
    if (!challengeAck && !itsReset) return false
    flow.challengeAt ??= t
    flow.lastT = t
    flow.packets++
    return true
  }

  private overLimit(flow: Flow<U>, t: number): void {
    this.stats.limitHits++
    while (flow.heldBytes > this.maxHeld) {
      const [h0, h1] = flow.halves
      const half = h0.heldBytes >= h1.heldBytes ? h0 : h1
      this.sink.limit(flow, half.dir, flow.heldBytes, t)
      half.skipGap(t)
    }
  }

  private resetFlow(flow: Flow<U>, t: number): void {
    for (const half of flow.halves) {
      const wasEnded = half.ended !== undefined
      half.reset(t)
      if (!wasEnded && half.ended === 'rst') this.sink.end(flow, half.dir, 'rst', t)
    }
    this.close(flow, 'rst', t)
  }

  private close(flow: Flow<U>, reason: CloseReason, t: number): void {
    if (flow.state === 'closed') return
    flow.state = 'closed'
    flow.closeReason = reason
    flow.closedAt = t
    for (const half of flow.halves) {
      this.stats.retransmits += half.retransmits
      this.stats.outOfOrder += half.outOfOrder
      this.stats.duplicateBytes += half.duplicateBytes
      this.stats.unattributedBytes += half.ignoredBytes
    }
    if (flow.challengeAt !== undefined) {
      // Challenged, and no retry before the end.
      flow.challengeAt = undefined
      this.stats.staleSockets++
      this.sink.stale(flow, t, false)
    }
    this.sink.close(flow, reason, t)
    // After both FINs only bare ACKs and FIN retransmits can follow, and those never start
    // a connection: forget it now. Other ends linger (see CLOSED_LINGER_MS).
    if (reason === 'fin') this.flows.delete(flow)
  }

  private sweep(t: number): void {
    this.lastSweep = t
    for (const flow of this.flows.all()) {
      const idle = t - flow.lastT
      if (flow.state === 'closed') {
        if (idle > CLOSED_LINGER_MS) this.flows.delete(flow)
        continue
      }
      const halfClosed = (flow.halves[0].ended !== undefined) !== (flow.halves[1].ended !== undefined)
      if ((halfClosed && idle > this.halfClosedMs) || idle > this.idleMs) {
        flow.halves[0].flush(t)
        flow.halves[1].flush(t)
        this.close(flow, halfClosed ? 'half-closed' : 'idle', t)
      }
    }
  }
}
