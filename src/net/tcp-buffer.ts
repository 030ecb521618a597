/**
 * A byte queue with a readable region [readIndex, writeIndex) and a writable
 * region [writeIndex, capacity), after rocket's TcpBuffer.
 *
 * Views handed out over the readable region stay valid: the buffer never writes
 * below writeIndex in memory it already filled. When it must compact or grow it
 * moves the readable bytes (only those, never the whole buffer) to fresh memory.
 * When it is empty, an appended chunk is adopted as it is, without a copy, so a
 * stream of whole frames is decoded straight from the socket's chunks.
 */
const EMPTY = Buffer.alloc(0)

export class TcpBuffer {
  private buf: Buffer
  private r = 0
  private w = 0
  /** False while buf is an adopted chunk that belongs to its producer. */
  private owned = true

  constructor(private readonly initialCapacity = 64 * 1024) {
    this.buf = EMPTY
  }

  /** The backing store; readable bytes are buffer[readIndex..writeIndex). */
  get buffer(): Buffer {
    return this.buf
  }

  get readIndex(): number {
    return this.r
  }

  get writeIndex(): number {
    return this.w
  }

  get readable(): number {
    return this.w - this.r
  }

  get writable(): number {
    return this.owned ? this.buf.length - this.w : 0
  }

  get capacity(): number {
    return this.buf.length
  }

  /** A view of the readable bytes. */
  peek(): Buffer {
    return this.buf.subarray(this.r, this.w)
  }

  /** Mark n readable bytes as consumed. */
  consume(n: number): void {
    if (n < 0 || n > this.readable) throw new RangeError(`consume(${n}) with ${this.readable} readable`)
    this.r += n
  }

  /** Move readIndex to an absolute offset in buffer (as returned by a decoder). */
  consumeTo(index: number): void {
    this.consume(index - this.r)
  }

  /** Append bytes; adopts the chunk without copying when nothing is pending. */
  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    if (this.readable === 0) {
      this.adopt(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length), 0, chunk.length)
      return
    }
    this.ensureWritable(chunk.length)
    this.buf.set(chunk, this.w)
    this.w += chunk.length
  }

  /**
   * Append buf[start, end), adopting buf itself (not a view made for the range)
   * when nothing is pending: a caller that holds one Buffer over the memory of
   * many chunks (a capture's read chunk) makes no object per append.
   */
  appendRange(buf: Buffer, start: number, end: number): void {
    if (end <= start) return
    if (this.readable === 0) {
      this.adopt(buf, start, end)
      return
    }
    this.ensureWritable(end - start)
    this.buf.set(buf.subarray(start, end), this.w)
    this.w += end - start
  }

  private adopt(buf: Buffer, start: number, end: number): void {
    this.buf = buf
    this.r = start
    this.w = end
    this.owned = false
  }

  /**
   * Make room for n more bytes after writeIndex. Compacts or grows into fresh
   * memory, copying only the readable region.
   */
  ensureWritable(n: number): void {
    if (this.writable >= n) return
    const readable = this.readable
    // Sized for what is pending, not for the largest frame this buffer ever held.
    let cap = this.initialCapacity
    while (cap < readable + n) cap *= 2
    this.moveTo(cap)
  }

  /**
   * Empty and holding an adopted chunk: let go of it, so an idle buffer does not
   * keep its producer's memory (a capture's read chunk) alive.
   */
  dropAdopted(): void {
    if (this.readable > 0 || this.owned) return
    this.buf = EMPTY
    this.r = 0
    this.w = 0
    this.owned = true
  }

  /** Move the readable bytes to memory of their size (a buffer grown for one large frame gives the rest back). */
  fit(): void {
    const readable = this.readable
    let cap = this.initialCapacity
    while (cap < readable) cap *= 2
    if (cap >= this.buf.length) return
    this.moveTo(cap)
  }

  /** The readable bytes, moved to the start of new memory of cap bytes that this buffer owns. */
  private moveTo(cap: number): void {
    const readable = this.readable
    const next = Buffer.allocUnsafe(cap)
    this.buf.copy(next, 0, this.r, this.w)
    this.buf = next
    this.r = 0
    this.w = readable
    this.owned = true
  }

  /** Declare n bytes written at writeIndex (after ensureWritable). */
  commit(n: number): void {
    if (n < 0 || n > this.writable) throw new RangeError(`commit(${n}) with ${this.writable} writable`)
    this.w += n
  }

  /**
   * Drop the memory, readable bytes included (the connection is closed). Views
   * handed out keep what they view; whatever still holds this buffer (a
   * cancelled timer's closure, a listener) no longer holds its memory.
   */
  release(): void {
    this.buf = EMPTY
    this.r = 0
    this.w = 0
    this.owned = true
  }

  /** Take the readable bytes as one view and empty the buffer (for socket writes). */
  take(): Buffer {
    const out = this.peek()
    this.r = this.w
    return out
  }
}
