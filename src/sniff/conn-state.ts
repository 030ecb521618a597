// Per-connection decoding state of a sniff session: the protocol, and for each
// direction the TinyPB stream decoder over a TcpBuffer (the same decoder a
// live client connection uses), or the bytes kept while the protocol is open.

import {TinyPbStreamDecoder} from '../../decoders/tinypb/index.js'
import {TcpBuffer} from '../net/index.js'
import type {Protocol} from './protocol-detect.js'
import type {Dir, TcpFlow} from './reassembly/index.js'
import {ConnTransactions, type FrameRecord} from './transactions/index.js'
import type {ConnRef} from './events.js'
import type {GapCause} from './reassembly/index.js'

/** Bytes that arrived while the protocol was undecided, replayed once it is known. */
export type Undecided = {readonly t: number; readonly bytes: Buffer} | {readonly t: number; readonly gap: number; readonly cause: GapCause}

/** A decoded frame's place in its direction's stream (positions count delivered bytes, gaps not included). */
interface Placed {
  start: number
  end: number
  rec: FrameRecord
}

/** A decode buffer this large, mostly empty after a big frame, is moved to memory of the size it holds. */
const SHRINK_FROM = 256 * 1024

/**
 * A partial frame is moved into memory sized for the whole frame (as its
 * header says), up to this much; larger frames grow by doubling as they come.
 * A claim of the header is not trusted further: garbage can claim --buffer-limit.
 */
const PRESIZE_MAX = 64 * 1024

/** Frames remembered per direction, to find the ones a retransmission with different data touched. */
const RECENT_FRAMES = 8

export class DirState {
  /** Small to start: a capture may hold thousands of connections, each with a partial frame. */
  readonly buf = new TcpBuffer(512)
  decoder: TinyPbStreamDecoder
  /** Set at the first bytes: whether they are the stream's first (its SYN was seen). */
  begun = false
  /** Decoder errors until the first good frame are the resync of a mid-stream start or a gap, not malformed frames. */
  resyncing = false
  /** Bytes skipped during the current resync. */
  resyncSkipped = 0
  /** While the protocol is undecided: what arrived, and a copy of the bytes since the last gap to look at. */
  undecided: Undecided[] = []
  /** Made on first use: most connections never need it (fixed --protocol, or decided at once). */
  probe: TcpBuffer | undefined
  /** The probe holds the stream from its first byte (SYN seen, no gap since). */
  probeFromStart = false
  ended = false
  /** Stream position of the next byte handed to the decoder (or shown as a chunk): bytes delivered so far. */
  fed = 0
  /** Stream position of the current decoder's first byte (a gap starts a new decoder). */
  streamBase = 0
  /** Payload bytes of the largest TCP segment that carried the bytes waiting in buf. */
  carrier = 0
  /** Stream position of buf.buffer[0] in the decode under way, and the segment it was fed (see placeAt). */
  bufBase = 0
  private chunkStart = 0
  private chunkLen = 0
  /** Stream positions [taintFrom, taintTo) were seen twice with different data: a frame over them is uncertain. */
  taintFrom = 0
  taintTo = 0
  /** buf.readable as last added to the session's count of held bytes. */
  heldCounted = 0
  /** The last RECENT_FRAMES frames, oldest overwritten first. */
  private readonly recent: Placed[] = []
  private recentAt = 0

  constructor(private readonly maxFrame: number) {
    this.decoder = new TinyPbStreamDecoder({maxFrame})
  }

  /** Stream position of the first byte the decoder has not consumed. */
  get decodedTo(): number {
    return this.streamBase + this.decoder.streamPosition
  }

  /**
   * Before a decode: buf.buffer[0] sits at stream position `bufBase`, and the
   * segment just appended began at `chunkStart` and held `chunkLen` bytes.
   */
  placeAt(bufBase: number, chunkStart: number, chunkLen: number): void {
    this.bufBase = bufBase
    this.chunkStart = chunkStart
    this.chunkLen = chunkLen
  }

  /** The largest segment that carried a frame starting at `start`: one begun before this segment was carried by those before it too. */
  segmentBytesAt(start: number): number {
    return start < this.chunkStart ? this.carrier : this.chunkLen
  }

  /** A frame was decoded at [start, end): remember it, and say whether tainted bytes are in it. */
  place(start: number, end: number, rec: FrameRecord): void {
    if (this.taintTo > start && this.taintFrom < end) rec.uncertain = 'conflict'
    if (this.recent.length < RECENT_FRAMES) this.recent.push({start, end, rec})
    else {
      const p = this.recent[this.recentAt]
      p.start = start
      p.end = end
      p.rec = rec
      this.recentAt = (this.recentAt + 1) % RECENT_FRAMES
    }
  }

  /**
   * Stream positions [from, to) were seen twice with different data: the
   * decoded frames over them, and those still to be decoded over them.
   */
  taint(from: number, to: number): FrameRecord[] {
    const hit: FrameRecord[] = []
    for (const p of this.recent) {
      if (p.end > from && p.start < to) {
        p.rec.uncertain = 'conflict'
        hit.push(p.rec)
      }
    }
    if (to > this.decodedTo) {
      // An older range already decoded past is replaced, not stretched over the frames between.
      if (this.taintTo <= this.decodedTo) this.taintFrom = from
      else this.taintFrom = Math.min(this.taintFrom, from)
      this.taintTo = Math.max(this.taintTo, to)
    }
    return hit
  }

  /** The first bytes of this direction arrived; fromStart when its SYN was seen. */
  begin(fromStart: boolean): void {
    this.begun = true
    this.resyncing = !fromStart
    this.probeFromStart = fromStart
  }

  /** After a gap: forget the cut frame, start a fresh decoder that resyncs. */
  restart(): void {
    // The cut frame's memory goes too (it may be most of --buffer-limit).
    this.buf.release()
    this.decoder = new TinyPbStreamDecoder({maxFrame: this.maxFrame})
    this.streamBase = this.fed
    this.resyncing = true
    this.resyncSkipped = 0
  }

  /**
   * Decoded frames are views into buf; when buf adopted a captured packet's
   * memory (the capture may reuse it), copy the leftover partial frame now,
   * into room for the rest of it (one copy, not one per doubling as its
   * segments arrive).
   */
  keepLeftover(): void {
    const b = this.buf
    if (b.readable === 0) b.dropAdopted()
    else if (b.writable === 0) b.ensureWritable(Math.max(1, Math.min(this.decoder.need, PRESIZE_MAX)))
    else if (b.capacity >= SHRINK_FROM && b.capacity > 4 * b.readable) b.fit()
  }
}

export class ConnState {
  protocol: Protocol | undefined
  readonly dirs: readonly [DirState, DirState]
  readonly tx: ConnTransactions

  constructor(flow: TcpFlow, ref: ConnRef, protocol: Protocol | undefined, maxFrame: number) {
    this.protocol = protocol
    this.tx = new ConnTransactions(flow, ref)
    this.dirs = [new DirState(maxFrame), new DirState(maxFrame)]
  }

  get flow(): TcpFlow {
    return this.tx.flow
  }

  get ref(): ConnRef {
    return this.tx.ref
  }

  dir(d: Dir): DirState {
    return this.dirs[d]
  }
}
