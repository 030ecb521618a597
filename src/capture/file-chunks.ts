import type {FileHandle} from 'node:fs/promises'

/**
 * A regular file read in chunks into memory that is used again: two buffers,
 * the next chunk read into one (on libuv's thread pool) while the packets of
 * the other are decoded. A fresh 256 KiB chunk per read cost a page fault per
 * 4 KiB and a garbage collection of external memory every few chunks.
 *
 * A chunk's memory is read into again two reads later: by the time the
 * caller takes a chunk, or asks to read ahead, what it built over the chunk
 * before the last one taken must be gone (FileSource hands a chunk's packets
 * out, and they are consumed, before it reads on).
 */
export class FileChunks {
  private readonly buffers: [Buffer, Buffer]
  /** The buffer of the chunk take() returned last. */
  private current: Buffer | undefined
  private ahead: Promise<Buffer> | undefined
  private done = false

  constructor(
    private readonly handle: FileHandle,
    size: number,
  ) {
    this.buffers = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)]
  }

  /** The next chunk (empty at the end of the file). */
  async take(): Promise<Buffer> {
    const chunk = await (this.ahead ?? this.read())
    this.ahead = undefined
    if (chunk.length === 0) this.done = true
    else this.current = chunk.buffer === this.buffers[0].buffer ? this.buffers[0] : this.buffers[1]
    return chunk
  }

  /** Start reading the chunk after the last one taken: call once nothing refers to the chunk before it. */
  readAhead(): void {
    if (this.ahead !== undefined || this.done) return
    this.ahead = this.read()
    // A failure is reported by the take() that awaits it, if any comes.
    this.ahead.catch(() => {})
  }

  private async read(): Promise<Buffer> {
    const into = this.current === this.buffers[0] ? this.buffers[1] : this.buffers[0]
    const {bytesRead} = await this.handle.read(into, 0, into.length, null)
    return into.subarray(0, bytesRead)
  }
}
