// Where sniff's lines go: events rendered (human or NDJSON), written in blocks
// (a write per line costs more than the decoding on a million transactions),
// and, on a live capture that names processes, held back briefly so the lookup
// of a new connection's processes can land before its first line is printed.
// A stream that cannot take more (stdout into a slow pipe) says so through
// ready(): the capture waits for its 'drain' instead of piling lines up in memory.

import {type Clock, systemClock} from '../../net/index.js'
import type {ProcessAttribution, SniffEvent} from '../../sniff/index.js'
import type {SniffHumanRenderer} from './human.js'
import type {SniffJsonRenderer} from './json.js'

/** To a stream: lines are gathered as text up to this many UTF-16 code units, then encoded in one call. */
const TEXT_SPILL = 8 * 1024

/**
 * Lines gathered into blocks of about `limit` characters; write gets them
 * joined, without the last newline, and returns false when its stream's
 * buffer is full (Writable.write's answer). To a stream (toStream), lines are
 * encoded into the block's bytes: no array of lines and no second copy when
 * the stream encodes it (on a million transactions those cost as much as
 * rendering them). They are encoded a few kilobytes of text at a time: one
 * Buffer.write per line (its checks and its flattening of each line's string
 * pieces) cost a quarter of the rendering.
 */
export class LineWriter {
  private lines: string[] = []
  private size = 0
  private full = false
  /** toStream: the block being filled, and the bytes in it. */
  private bytes: Buffer | undefined
  private at = 0
  /** toStream: lines (each with its newline) not yet encoded into the block, and how much of them to gather. */
  private text = ''
  private spillAt = TEXT_SPILL

  constructor(
    private readonly write: (block: string) => unknown,
    private readonly limit = 64 * 1024,
    private readonly stream?: NodeJS.WritableStream,
  ) {}

  /** Lines to a stream (stdout), one newline after each, minding its backpressure. */
  static toStream(stream: NodeJS.WritableStream, limit?: number): LineWriter {
    const w = new LineWriter((block) => stream.write(block + '\n'), limit, stream)
    w.bytes = Buffer.allocUnsafe(w.limit)
    // What is gathered must fit a block once encoded (3 bytes per code unit at most).
    w.spillAt = Math.min(TEXT_SPILL, Math.floor(w.limit / 3))
    return w
  }

  /**
   * undefined when more may be written now; else a promise that resolves when
   * the stream has drained (or closed: a reader that went away, like head(1),
   * must not hang the capture).
   */
  ready(): Promise<void> | undefined {
    if (!this.full) return undefined
    const s = this.stream as (NodeJS.WritableStream & {writableNeedDrain?: boolean; destroyed?: boolean}) | undefined
    if (s === undefined || s.destroyed === true || s.writableNeedDrain === false) {
      this.full = false
      return undefined
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        s.off('drain', done)
        s.off('close', done)
        s.off('error', done)
        this.full = false
        resolve()
      }
      s.on('drain', done)
      s.on('close', done)
      s.on('error', done)
    })
  }

  line(s: string): void {
    if (this.bytes !== undefined) {
      if (this.text.length + s.length >= this.spillAt) this.spill()
      this.text += s + '\n'
      return
    }
    this.lines.push(s)
    this.size += s.length + 1
    if (this.size >= this.limit) this.flush()
  }

  /** Encode the gathered text into the block (first writing the block out if the text may not fit). */
  private spill(): void {
    const s = this.text
    if (s === '') return
    this.text = ''
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.at + 3 * s.length > this.bytes!.length) {
      this.writeBlock()
      if (3 * s.length > this.bytes!.length) {
        if (this.stream!.write(s) === false) this.full = true
        return
      }
    }
    this.at += this.bytes!.write(s, this.at, 'utf8')
  }

  flush(): void {
    if (this.bytes !== undefined) {
      this.spill()
      this.writeBlock()
      return
    }
    if (this.lines.length === 0) return
    const block = this.lines.join('\n')
    this.lines = []
    this.size = 0
    if (this.write(block) === false) this.full = true
  }

  private writeBlock(): void {
    if (this.at === 0) return
    // The stream keeps the block until it is written: the next one is fresh memory.
    const block = this.bytes!.subarray(0, this.at)
    this.bytes = Buffer.allocUnsafe(this.limit)
    this.at = 0
    if (this.stream!.write(block) === false) this.full = true
  }
}

export interface SniffPrinterOptions {
  readonly out: LineWriter
  readonly human?: SniffHumanRenderer
  readonly json?: SniffJsonRenderer
  /** -T fields: an event's one line, or undefined for none. */
  readonly fields?: (e: SniffEvent) => string | undefined
  /** Whether to print the event, asked when it would be printed (after its processes are named: -Y may test them). */
  readonly admit?: (e: SniffEvent) => boolean
  /** Live captures: name processes, holding a connection's lines up to maxDelayMs for it. */
  readonly attribution?: ProcessAttribution
  readonly maxDelayMs?: number
  readonly clock?: Clock
}

export class SniffPrinter {
  private held: Array<{e: SniffEvent; at: number}> = []
  private readonly clock: Clock
  /** Events printed (lines may be more or fewer). */
  printed = 0

  constructor(private readonly opts: SniffPrinterOptions) {
    this.clock = opts.clock ?? systemClock
  }

  event(e: SniffEvent): void {
    const a = this.opts.attribution
    if (a === undefined) {
      this.print(e)
      return
    }
    if (e.conn !== undefined) a.want(e.conn)
    this.held.push({e, at: this.clock.now()})
    this.drain(false)
  }

  /** Print what may go: in order, each once its processes are known or it waited long enough (all with force). */
  drain(force: boolean): void {
    const a = this.opts.attribution
    const maxDelay = this.opts.maxDelayMs ?? 300
    const now = this.clock.now()
    let i = 0
    for (; i < this.held.length; i++) {
      const {e, at} = this.held[i]
      if (!force && a !== undefined && e.conn !== undefined && !a.settled(e.conn) && now - at < maxDelay) break
      this.print(e)
    }
    if (i > 0) this.held = this.held.slice(i)
  }

  /** Events waiting for their processes. */
  get waiting(): number {
    return this.held.length
  }

  private print(e: SniffEvent): void {
    if (this.opts.admit !== undefined && !this.opts.admit(e)) return
    this.printed++
    const {json, human, out, fields} = this.opts
    if (fields !== undefined) {
      const line = fields(e)
      if (line !== undefined) out.line(line)
      return
    }
    if (json !== undefined) {
      const line = json.line(e)
      if (line !== undefined) out.line(line)
      return
    }
    if (human !== undefined) for (const line of human.render(e)) out.line(line)
  }
}
