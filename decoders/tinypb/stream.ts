import {DEFAULT_MAX_FRAME, PK_LEN_AT, START} from './constants.js'
import {decodeFrame, type FrameError} from './decode.js'
import type {TinyPbFrame} from './frame.js'

export type StreamEvent = TinyPbFrame | FrameError

/** Where decoded events go: an array, or anything with push. */
export interface EventSink {
  push(e: StreamEvent): unknown
}

/**
 * Decodes a TinyPB byte stream that arrives in pieces. After an error it resyncs
 * the way the C++ servers do: drop the bad byte and scan for the next 0x02.
 *
 * The error is reported once its resync is over (a candidate start byte was found,
 * or the stream finished), with the total number of bytes skipped, so the events
 * are the same however the stream was split into chunks.
 *
 * Error offsets are stream positions: bytes since the start of the stream.
 */
export class TinyPbStreamDecoder {
  /** Bytes still needed before the next frame can complete (a hint, never a promise). */
  need = 1
  private position = 0
  private pending: FrameError | undefined
  private pendingSkipped = 0
  private readonly maxFrame: number

  constructor(opts: {maxFrame?: number} = {}) {
    this.maxFrame = opts.maxFrame ?? DEFAULT_MAX_FRAME
  }

  /** Stream position of the next byte this decoder has not consumed. */
  get streamPosition(): number {
    return this.position
  }

  /**
   * The error whose resync is still under way, with the bytes skipped so far; it
   * is pushed once a candidate start byte turns up or the stream finishes. Lets a
   * caller that stops waiting (a call's deadline) say what arrived. Reading it
   * changes nothing.
   */
  get pendingError(): FrameError | undefined {
    return this.pending === undefined ? undefined : {...this.pending, skipped: this.pendingSkipped}
  }

  /**
   * Decode buf[off..end), which must start at streamPosition. Pushes frames and
   * errors to out and returns the offset in buf up to which bytes were consumed;
   * the caller presents the rest again, with more bytes after it.
   */
  decode(buf: Buffer, off: number, end: number, out: EventSink): number {
    let at = off
    for (;;) {
      if (this.pending !== undefined) {
        // Within [at, end) only: buf may run on far past end (a capture's whole read chunk).
        let next = at
        while (next < end && buf[next] !== START) next++
        if (next >= end) {
          this.pendingSkipped += end - at
          this.position += end - at
          this.need = 1
          return end
        }
        this.pendingSkipped += next - at
        this.position += next - at
        at = next
        this.flushPending(out)
      }
      if (at >= end) {
        this.need = 1
        return at
      }
      const r = decodeFrame(buf, at, end, this.maxFrame)
      if (r.kind === 'frame') {
        out.push(r.frame)
        this.position += r.next - at
        at = r.next
      } else if (r.kind === 'incomplete') {
        this.need = r.need
        return at
      } else {
        this.startResync({...r, offset: this.position})
        at += 1
      }
    }
  }

  /**
   * The stream has ended: decode what is left, report a frame cut short as
   * TRUNCATED, and look for frames inside its bytes (a stray 0x02 in garbage can
   * claim a length that hides real frames behind it).
   */
  finish(buf: Buffer, off: number, end: number, out: EventSink): void {
    let at = this.decode(buf, off, end, out)
    while (at < end) {
      const avail = end - at
      const pkLen = avail >= PK_LEN_AT + 4 ? buf.readInt32BE(at + PK_LEN_AT) : undefined
      this.startResync({
        kind: 'error',
        code: 'TRUNCATED',
        offset: this.position,
        message: pkLen === undefined ? `stream ended ${avail} bytes into a frame header` : `stream ended ${avail} bytes into a frame of pk_len ${pkLen}`,
        pkLen,
        skipped: 0,
      })
      at = this.decode(buf, at + 1, end, out)
    }
    if (this.pending !== undefined) this.flushPending(out)
  }

  /**
   * The stream breaks off here (a capture lost the bytes that follow): report
   * the error whose resync is under way now, with the bytes it skipped so far,
   * instead of never. Bytes presented but not consumed are the caller's.
   */
  interrupt(out: EventSink): void {
    if (this.pending !== undefined) this.flushPending(out)
  }

  private startResync(error: FrameError): void {
    this.pending = error
    this.pendingSkipped = 1
    this.position += 1
  }

  private flushPending(out: EventSink): void {
    out.push({...this.pending!, skipped: this.pendingSkipped})
    this.pending = undefined
    this.pendingSkipped = 0
  }
}
