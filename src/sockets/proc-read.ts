import {closeSync, openSync, readSync} from 'node:fs'

const NEWLINE = 10

/**
 * Reads /proc files into one buffer that is reused. A /proc file says its
 * size is 0, so readFileSync reads it in small chunks and joins them: for
 * /proc/net/tcp with 20,000 sockets (3 MB, handed out by the kernel a page
 * per read) that cost twice the CPU of reading into one buffer.
 */
export class ProcReader {
  private buf: Buffer

  /** size: the buffer's bytes to begin with (it grows only for a line longer than it, or a file read whole). */
  constructor(size = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(size)
  }

  /**
   * path's lines a piece at a time: each is bytes[0, length), whole lines, in
   * the one buffer, valid until the next piece. A /proc/net table is read in
   * 256 KB however long it is (a whole 30,000-socket table, grown into, was
   * 12 MB of fresh memory). False when path cannot be read (a piece may have
   * been handed out before a read failed).
   */
  readLines(path: string, each: (bytes: Buffer, length: number) => void): boolean {
    return this.readWith(path, each) !== undefined
  }

  /** The bytes of path, valid until the next read; undefined when it cannot be read. */
  read(path: string): Buffer | undefined {
    const len = this.readWith(path)
    return len === undefined ? undefined : this.buf.subarray(0, len)
  }

  /**
   * Reads path into the buffer. With each, whole lines are handed to it
   * whenever the buffer is full, and the rest at the end; without, the buffer
   * grows to hold the file. The length left in the buffer, or undefined when
   * path cannot be read.
   */
  private readWith(path: string, each?: (bytes: Buffer, length: number) => void): number | undefined {
    let fd: number
    try {
      fd = openSync(path, 'r')
    } catch {
      return undefined
    }
    let len = 0
    try {
      for (;;) {
        if (len === this.buf.length) {
          const whole = each === undefined ? 0 : this.buf.lastIndexOf(NEWLINE, len - 1) + 1
          if (whole === 0) {
            this.grow(len) // read whole, or one line longer than the buffer
          } else {
            each!(this.buf, whole)
            this.buf.copy(this.buf, 0, whole, len)
            len -= whole
          }
        }
        const n = readSync(fd, this.buf, len, this.buf.length - len, null)
        if (n === 0) break
        len += n
      }
      if (each !== undefined && len > 0) {
        each(this.buf, len)
        len = 0
      }
    } catch {
      return undefined
    } finally {
      closeSync(fd)
    }
    return len
  }

  private grow(len: number): void {
    const bigger = Buffer.allocUnsafe(this.buf.length * 2)
    this.buf.copy(bigger, 0, 0, len)
    this.buf = bigger
  }
}
