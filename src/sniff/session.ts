// The sniff pipeline as a library: TCP segments in; connections, frames,
// transactions, anomalies and a summary out.
//
//   segments -> Reassembler (per direction, in order) -> protocol (auto per connection)
//            -> TinyPbStreamDecoder over a TcpBuffer (the client's own decoder)
//            -> TransactionTracker (pairing by msg_id, latency, flags) -> events
//
// `sniff` and `demo` both run captures through it; rendering is elsewhere.

import type {TcpSegment} from '../../decoders/packet/segment.js'
import type {TimestampSource} from '../capture/index.js'
import type {EventSink, FrameError, StreamEvent, TinyPbFrame} from '../../decoders/tinypb/index.js'
import {detectProtocol, type Protocol} from './protocol-detect.js'
import {
  type CloseReason,
  DEFAULT_MAX_BUFFERED,
  DEFAULT_MAX_HELD_BYTES,
  type Dir,
  type GapCause,
  type Mismatch,
  Reassembler,
  type ReassemblySink,
  type ReassemblyStats,
  type TcpFlow,
} from './reassembly/index.js'
import {toHex} from '../../decoders/string/index.js'
import {DEFAULT_TIMEOUT_MS, type PortRange, TcpBuffer} from '../net/index.js'
import {ConnState, type DirState} from './conn-state.js'
import {MethodNames} from './method-names.js'
import type {FrameInfo, SniffEvent} from './events.js'
import {type FrameRecord, SniffStats, type SniffSummary, type TrackerOptions, TransactionTracker} from './transactions/index.js'

export interface SniffSessionOptions extends TrackerOptions {
  /** tinypb, string, or auto (decided per connection from its first bytes). Default auto. */
  protocol?: Protocol | 'auto'
  /** Server ports and port ranges (--port, ranges of any size): decide which side is the server. */
  serverPorts?: readonly PortRange[]
  /** Per connection: held out-of-order bytes, and the largest frame accepted. Default 16 MiB. */
  bufferLimit?: number
  /**
   * Across connections: bytes held (partial frames waiting in the decoders,
   * out-of-order data). Over it, the connection holding most gives up what it
   * holds: partial frames count as gapDroppedBytes, holes as gaps. Default
   * DEFAULT_MAX_BUFFERED.
   */
  maxBuffered?: number
  /** Keep a copy of each frame's bytes in its FrameInfo (for -x). */
  hex?: boolean
  /** Close connections idle this long. Default 10 minutes. */
  idleTimeoutMs?: number
  /** Report connections opening and closing (`connection` events). Default false. */
  connections?: boolean
}

/** What the capture source knows and the session cannot: packets read, kernel drops, truncations, who stamped them. */
export interface CaptureCounts {
  packets?: number
  bytes?: number
  /** Packets the kernel dropped (CaptureStats.kernelDrops). */
  drops?: number
  /** Packets rpcdiag dropped itself, decoding behind a live capture (CaptureStats.queueDrops). */
  queueDrops?: number
  truncated?: number
  timestampSource?: TimestampSource
}


type Conn = TcpFlow<ConnState>

/**
 * What the decoder found in one delivery, in slots that are reused: an array
 * emptied with length = 0 gives up its memory, and the next delivery's frames
 * made it anew (a tenth of what sniff --read allocated per frame).
 */
class EventBatch implements EventSink {
  readonly events: Array<StreamEvent | undefined> = []
  n = 0

  push(e: StreamEvent): void {
    this.events[this.n++] = e
  }
}

const EMPTY = Buffer.alloc(0)

export class SniffSession implements ReassemblySink<ConnState> {
  readonly stats = new SniffStats()
  private readonly reassembler: Reassembler<ConnState>
  private readonly tracker: TransactionTracker
  private readonly protocol: Protocol | 'auto'
  private readonly maxFrame: number
  private readonly hex: boolean
  private readonly copyPb: boolean
  private readonly connections: boolean
  private readonly maxBuffered: number
  /** Partial-frame bytes waiting in the decoders, across connections (the sum of DirState.heldCounted). */
  private decoderHeld = 0
  private bytes = 0
  private firstT: number | undefined
  private finished = false
  /** Packets the capture said it dropped, so far. */
  private dropsSeen = 0
  /** Decoder output of one data delivery. */
  private readonly scratch = new EventBatch()
  private readonly methods = new MethodNames()
  /** The memory of the latest delivered bytes, as one Buffer (see wholeOf). */
  private wholeMemory: ArrayBufferLike | undefined
  private whole: Buffer | undefined

  constructor(
    private readonly emit: (e: SniffEvent) => void,
    opts: SniffSessionOptions = {},
  ) {
    this.protocol = opts.protocol ?? 'auto'
    this.maxFrame = opts.bufferLimit ?? DEFAULT_MAX_HELD_BYTES
    this.hex = opts.hex ?? false
    this.copyPb = opts.payloads !== undefined
    this.connections = opts.connections ?? false
    this.maxBuffered = opts.maxBuffered ?? DEFAULT_MAX_BUFFERED
    this.tracker = new TransactionTracker(this.stats, emit, opts)
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.reassembler = new Reassembler(this, {
      serverPorts: opts.serverPorts,
      maxHeldBytes: this.maxFrame,
      halfClosedTimeoutMs: timeoutMs,
      idleTimeoutMs: opts.idleTimeoutMs,
    })
  }

  /** The capture's first whole second: event times are ms since then. Undefined before the first packet. */
  get baseSec(): number | undefined {
    return this.reassembler.baseSec
  }

  get reassembly(): Readonly<ReassemblyStats> {
    return this.reassembler.stats
  }

  /** Bytes held across connections: partial frames in the decoders and out-of-order data (bounded by maxBuffered). */
  get heldBytes(): number {
    return this.decoderHeld + this.reassembler.heldBytes
  }

  /** Requests still waiting for a reply. */
  get inFlight(): number {
    return this.tracker.inFlight
  }

  push(seg: TcpSegment): void {
    this.bytes += seg.payload.length
    // Time reached this packet: what timed out before it is unanswered, even if it is the reply.
    const t = this.reassembler.timeOf(seg.tsSec, seg.tsNsec)
    this.firstT ??= t
    this.tracker.advance(t)
    this.reassembler.push(seg)
    if (this.decoderHeld + this.reassembler.heldBytes > this.maxBuffered) this.overBudget(this.reassembler.now)
  }

  /** Live captures: the wall clock moved (seconds and nanoseconds since the epoch) with no packet. */
  tick(sec: number, nsec = 0): void {
    const t = this.reassembler.timeOf(sec, nsec)
    this.reassembler.advance(t)
    this.tracker.advance(this.reassembler.now)
  }

  /**
   * The capture source says it has dropped `total` packets so far (the kernel's
   * capture buffer, or rpcdiag's own queue): a reply awaited now may have been
   * among them, and a reply with no request soon after may have lost its request.
   */
  drops(total: number): void {
    if (!(total > this.dropsSeen)) return
    this.dropsSeen = total
    this.tracker.dropped(this.reassembler.now)
  }

  /** End of capture: settle every connection and request, and return the summary. */
  finish(capture: CaptureCounts = {}): SniffSummary {
    if (!this.finished) {
      this.finished = true
      this.drops((capture.drops ?? 0) + (capture.queueDrops ?? 0))
      this.reassembler.finish()
    }
    return this.summary(capture)
  }

  /** The numbers so far (or final, after finish). */
  summary(capture: CaptureCounts = {}): SniffSummary {
    const r = this.reassembler.stats
    return {
      type: 'summary',
      ...this.stats.counters,
      uncertainBy: {...this.stats.counters.uncertainBy},
      connections: r.connections,
      staleSockets: r.staleSockets,
      gaps: r.gaps,
      gapBytes: r.gapBytes,
      limitHits: r.limitHits,
      packets: r.segments,
      bytes: this.bytes,
      retransmittedBytes: r.duplicateBytes,
      unattributedBytes: r.unattributedBytes,
      truncatedSegments: r.truncated,
      retransmits: r.retransmits,
      outOfOrder: r.outOfOrder,
      ...(capture.drops !== undefined ? {kernelDrops: capture.drops} : {}),
      ...(capture.packets !== undefined ? {capturedPackets: capture.packets} : {}),
      ...(capture.bytes !== undefined ? {capturedBytes: capture.bytes} : {}),
      ...(capture.truncated !== undefined ? {truncatedPackets: capture.truncated} : {}),
      ...(capture.timestampSource !== undefined ? {timestampSource: capture.timestampSource} : {}),
      durationMs: this.firstT === undefined ? 0 : Math.max(0, this.reassembler.now - this.firstT),
      methods: this.stats.methodSummaries(),
    }
  }

  // ReassemblySink

  open(flow: Conn, t: number): void {
    const ref = TransactionTracker.refFor(flow)
    flow.user = new ConnState(flow, ref, this.protocol === 'auto' ? undefined : this.protocol, this.maxFrame)
    if (this.connections) this.emit({type: 'connection', t, conn: ref, state: 'open'})
  }

  data(flow: Conn, dir: Dir, bytes: Uint8Array, t: number): void {
    const c = flow.user!
    const d = c.dir(dir)
    if (!d.begun) {
      d.begin(flow.halves[dir].synSeen)
      c.ref.midstream = flow.midstream
    }
    if (c.protocol === undefined) {
      // Nearly always the first bytes decide, of a connection that kept nothing yet: decided on
      // the capture's own memory and fed from it, with no copy, probe or replay (a connection per
      // call paid for those on every call).
      const nothingKept = d.undecided.length === 0 && c.dir((dir ^ 1) as Dir).undecided.length === 0
      if (nothingKept) {
        const p = detectProtocol(this.wholeOf(bytes), {streamStart: d.probeFromStart, final: false, maxFrame: this.maxFrame}, bytes.byteOffset, bytes.byteOffset + bytes.length)
        if (p !== undefined) {
          c.protocol = p
          this.feed(c, dir, bytes, t)
          return
        }
      }
      const copy = Buffer.from(bytes)
      d.undecided.push({t, bytes: copy})
      d.probe ??= new TcpBuffer(512)
      d.probe.append(copy)
      // With nothing kept before, the probe holds just these bytes, which were looked at above.
      if (nothingKept || !this.detect(c, dir, false)) return
      this.replay(c)
      return
    }
    this.feed(c, dir, bytes, t)
  }

  gap(flow: Conn, dir: Dir, missing: number, t: number, cause: GapCause): void {
    const c = flow.user!
    const d = c.dir(dir)
    if (c.protocol === undefined) {
      d.undecided.push({t, gap: missing, cause})
      d.probe?.consume(d.probe.readable)
      d.probeFromStart = false
      return
    }
    this.gapDecoded(c, dir, missing, t, cause)
  }

  conflict(flow: Conn, dir: Dir, m: Mismatch, offset: number, t: number): void {
    const c = flow.user!
    const n = ++this.stats.counters.retransmissionConflicts
    const hit = c.dir(dir).taint(offset, offset + m.length)
    // Counted always, shown once (like Wireshark's expert info); each call it touched is reported uncertain.
    if (n > 1) return
    const side = c.tx.sideOf(dir)
    const inFrame = hit.length > 0 ? ` (in ${hit[0].info.method} #${hit[0].info.msgId}, now uncertain)` : ''
    this.emit({
      type: 'warning',
      t,
      conn: c.ref,
      code: 'RETRANSMISSION_CONFLICT',
      ...(hit.length > 0 ? {msgId: hit[0].info.msgId, method: hit[0].info.method} : {}),
      message:
        `retransmission with different data: the ${side} sent stream bytes from offset ${offset} (seq ${m.seq}) again, and ${m.length} of them differ: ` +
        `first ${toHex(m.first)}, then ${toHex(m.later)}${inFrame}; which copy the peer kept is unknown (the first example; the summary counts them all)`,
    })
  }

  stale(flow: Conn, t: number, retried: boolean): void {
    this.emit({
      type: 'stale-socket',
      t,
      conn: flow.user!.ref,
      retried,
      message: retried
        ? 'stale server socket: SYN answered with a challenge ACK, client reset and retried'
        : 'stale server socket: SYN answered with a challenge ACK; no retry before the connection ended',
    })
  }

  end(flow: Conn, dir: Dir, how: 'fin' | 'rst', t: number): void {
    const c = flow.user!
    if (c.protocol === undefined && c.dir(dir).undecided.length > 0) {
      this.detect(c, dir, true)
      this.replay(c)
    }
    this.finishDir(c, dir, t)
    this.tracker.end(c.tx, dir, how, t)
    if (this.connections && how === 'fin') this.emit({type: 'connection', t, conn: c.ref, state: 'fin', from: c.tx.sideOf(dir)})
  }

  limit(flow: Conn, _dir: Dir, heldBytes: number, t: number): void {
    this.emit({
      type: 'warning',
      t,
      conn: flow.user!.ref,
      code: 'BUFFER_LIMIT',
      message: `${heldBytes} out-of-order bytes held on this connection (limit ${this.maxFrame}, --buffer-limit): giving up on the oldest hole`,
    })
  }

  close(flow: Conn, reason: CloseReason, t: number): void {
    const c = flow.user!
    if (c.protocol === undefined) {
      for (const dir of [0, 1] as const) if (c.protocol === undefined && c.dir(dir).undecided.length > 0) this.detect(c, dir, true)
      this.replay(c)
    }
    this.finishDir(c, 0, t)
    this.finishDir(c, 1, t)
    if (c.protocol === 'string') this.tracker.guessServer(c.tx)
    this.tracker.close(c.tx, reason === 'end' || reason === 'reused' ? reason : 'closed', t)
    if (this.connections) {
      const resetBy = reason === 'rst' && flow.resetBy !== undefined ? c.tx.sideOf(flow.resetBy) : undefined
      this.emit({type: 'connection', t, conn: c.ref, state: 'close', reason, resetBy, packets: flow.packets, bytes: flow.bytes, durationMs: t - flow.firstT})
    }
    flow.user = undefined
  }

  // Decoding

  /** Decide the protocol from one direction's first bytes; true once decided. */
  private detect(c: ConnState, dir: Dir, final: boolean): boolean {
    const d = c.dir(dir)
    const p = detectProtocol(d.probe?.peek() ?? EMPTY, {streamStart: d.probeFromStart, final, maxFrame: this.maxFrame})
    if (p === undefined) return false
    c.protocol = p
    return true
  }

  /** The protocol is known: run what each direction kept through it. */
  private replay(c: ConnState): void {
    if (c.protocol === undefined) return
    for (const dir of [0, 1] as const) {
      const d = c.dir(dir)
      const kept = d.undecided
      d.undecided = []
      d.probe = undefined
      for (const u of kept) {
        if ('gap' in u) this.gapDecoded(c, dir, u.gap, u.t, u.cause)
        else this.feed(c, dir, u.bytes, u.t)
      }
    }
  }

  private feed(c: ConnState, dir: Dir, bytes: Uint8Array, t: number): void {
    const d = c.dir(dir)
    const chunkStart = d.fed
    d.fed += bytes.length
    if (c.protocol === 'string') {
      if (c.flow.server === undefined) this.tracker.guessServer(c.tx)
      this.stats.counters.chunks++
      this.stats.counters.decodedBytes += bytes.length
      this.emit({type: 'chunk', t, conn: c.ref, from: c.tx.sideOf(dir), bytes: Buffer.from(bytes)})
      return
    }
    d.carrier = d.buf.readable === 0 ? bytes.length : Math.max(d.carrier, bytes.length)
    d.buf.appendRange(this.wholeOf(bytes), bytes.byteOffset, bytes.byteOffset + bytes.length)
    if (d.buf.readable >= d.decoder.need) {
      const out = this.scratch
      const from = d.buf.readIndex
      d.placeAt(d.decodedTo - from, chunkStart, bytes.length)
      d.buf.consumeTo(d.decoder.decode(d.buf.buffer, from, d.buf.writeIndex, out))
      if (out.n > 0) this.handle(c, dir, out, t)
      // What waits now began in this segment: only it carried it so far.
      if (d.decodedTo >= chunkStart) d.carrier = bytes.length
    }
    d.keepLeftover()
    this.countHeld(d)
  }

  /**
   * A Buffer over all the memory `bytes` is a view into (the capture's read
   * chunk, for a file), made once per chunk rather than once per segment. Only
   * the latest is kept: no idle connection holds on to an old chunk through it.
   */
  private wholeOf(bytes: Uint8Array): Buffer {
    const memory = bytes.buffer
    if (memory !== this.wholeMemory) {
      this.wholeMemory = memory
      this.whole = Buffer.from(memory)
    }
    return this.whole!
  }

  /** The decoder's buffer of one direction changed size: keep the total across connections. */
  private countHeld(d: DirState): void {
    const n = d.buf.readable
    this.decoderHeld += n - d.heldCounted
    d.heldCounted = n
  }

  /**
   * The bytes held across connections passed maxBuffered: the connection
   * holding most gives up its out-of-order data (holes reported as gaps, what
   * waited behind them decoded) and its partial frames (counted as dropped, the
   * decoder resyncing at the next frame), until the total is within the budget.
   */
  private overBudget(t: number): void {
    const flows = this.reassembler.openConnections()
    while (this.decoderHeld + this.reassembler.heldBytes > this.maxBuffered) {
      let most: Conn | undefined
      let mostHeld = 0
      for (const f of flows) {
        const c = f.user
        const held = f.heldBytes + (c === undefined ? 0 : c.dirs[0].buf.readable + c.dirs[1].buf.readable)
        if (held > mostHeld) {
          most = f
          mostHeld = held
        }
      }
      if (most === undefined) return
      this.stats.counters.budgetHits++
      this.reassembler.skipHeld(most, t)
      const c = most.user
      let dropped = 0
      if (c !== undefined) for (const dir of [0, 1] as const) dropped += this.dropPartial(c, dir, t)
      this.emit({
        type: 'warning',
        t,
        conn: c?.ref ?? TransactionTracker.refFor(most),
        code: 'BUFFER_BUDGET',
        message: `bytes held across connections passed --max-buffered ${this.maxBuffered}: this connection held the most (${mostHeld}); it gave up ${dropped} bytes of partial frames (not decoded) and its out-of-order data`,
      })
    }
  }

  /** Drop the partial frame one direction's decoder holds; the decoder resyncs at the next frame. Returns the bytes dropped. */
  private dropPartial(c: ConnState, dir: Dir, t: number): number {
    const d = c.dir(dir)
    if (c.protocol !== 'tinypb' || d.ended) return 0
    const out = this.scratch
    d.decoder.interrupt(out)
    if (out.n > 0) this.handle(c, dir, out, t)
    const dropped = d.buf.readable
    this.stats.counters.gapDroppedBytes += dropped
    this.endResync(c, dir, d, t)
    d.restart()
    this.countHeld(d)
    return dropped
  }

  /** The stream of one direction ended: a frame cut off is TRUNCATED. */
  private finishDir(c: ConnState, dir: Dir, t: number): void {
    const d = c.dir(dir)
    if (d.ended) return
    d.ended = true
    if (c.protocol !== 'tinypb') return
    const out = this.scratch
    d.placeAt(d.decodedTo - d.buf.readIndex, d.fed, 0)
    d.decoder.finish(d.buf.buffer, d.buf.readIndex, d.buf.writeIndex, out)
    d.buf.consume(d.buf.readable)
    this.countHeld(d)
    if (out.n > 0) this.handle(c, dir, out, t)
    this.endResync(c, dir, d, t)
  }

  private gapDecoded(c: ConnState, dir: Dir, missing: number, t: number, cause: GapCause): void {
    const d = c.dir(dir)
    let dropped = 0
    if (c.protocol === 'tinypb') {
      // Garbage being skipped when the stream broke off is reported now; the partial frame waiting is dropped.
      const out = this.scratch
      d.decoder.interrupt(out)
      if (out.n > 0) this.handle(c, dir, out, t)
      dropped = d.buf.readable
      this.stats.counters.gapDroppedBytes += dropped
      this.endResync(c, dir, d, t)
      d.restart()
      this.countHeld(d)
    }
    this.tracker.gap(c.tx, dir, t, cause)
    this.emit({type: 'gap', t, conn: c.ref, from: c.tx.sideOf(dir), missing, dropped, cause})
  }

  /** Decoder output: frames to the tracker, errors reported (or counted as resync). Frames sit where d.placeAt() said. */
  private handle(c: ConnState, dir: Dir, out: EventBatch, t: number): void {
    const d = c.dir(dir)
    const events = out.events
    for (let i = 0; i < out.n; i++) {
      const e = events[i]!
      events[i] = undefined
      if (e.kind === 'frame') {
        if (d.resyncing) this.endResync(c, dir, d, t)
        const start = d.bufBase + e.start
        const rec = this.record(dir, e, t, d.segmentBytesAt(start))
        this.stats.counters.decodedBytes += e.pkLen
        d.place(start, start + e.pkLen, rec)
        this.tracker.frame(c.tx, rec)
      } else {
        this.malformed(c, dir, d, e, t)
      }
    }
    out.n = 0
  }

  /** One object per field set, no spreads: this runs for every frame of the capture. */
  private record(dir: Dir, f: TinyPbFrame, t: number, segmentBytes: number): FrameRecord {
    const info: FrameInfo = {
      t,
      msgId: f.msgId,
      method: this.methods.name(f.buf, f.methodNameAt, f.methodNameLen),
      size: f.pkLen,
      pbLen: f.pbDataLen,
      errCode: f.errCode,
      errInfo: f.errInfoLen === 0 ? '' : f.errInfo,
      payload: undefined,
      findings: undefined,
      bytes: this.hex ? Buffer.from(f.bytes) : undefined,
    }
    return {
      dir,
      info,
      msgIdLen: f.msgIdLen,
      methodNameLen: f.methodNameLen,
      errInfoLen: f.errInfoLen,
      segmentBytes,
      pb: this.copyPb ? Buffer.from(f.pbData) : undefined,
      uncertain: undefined,
    }
  }

  private malformed(c: ConnState, dir: Dir, d: DirState, e: FrameError, t: number): void {
    this.stats.counters.skippedBytes += e.skipped
    if (d.resyncing) {
      d.resyncSkipped += e.skipped
      return
    }
    if (e.code !== 'BAD_START') this.stats.counters.malformedFrames++
    this.emit({type: 'malformed', t, conn: c.ref, from: c.tx.sideOf(dir), code: e.code, message: e.message, offset: e.offset, skipped: e.skipped})
  }

  private endResync(c: ConnState, dir: Dir, d: DirState, t: number): void {
    if (!d.resyncing) return
    d.resyncing = false
    if (d.resyncSkipped === 0) return
    const why = c.flow.halves[dir].synSeen ? 'after a gap' : 'the capture started mid-connection'
    this.emit({
      type: 'warning',
      t,
      conn: c.ref,
      code: 'RESYNC',
      message: `${c.tx.sideOf(dir)} stream: skipped ${d.resyncSkipped} bytes to the next frame (${why})`,
    })
    d.resyncSkipped = 0
  }
}
