import {closeSync, openSync, readSync} from 'node:fs'

import type {LibcAccess} from '../net/libc.js'

/**
 * Reads /proc files whole into one buffer that grows and is reused. A /proc
 * file says its size is 0, so readFileSync reads it in small chunks and joins
 * them: for /proc/net/tcp with 20,000 sockets (3 MB, handed out by the kernel
 * a page per read) that cost twice the CPU of reading into one buffer.
 */
export class ProcReader {
  private buf = Buffer.allocUnsafe(256 * 1024)

  /** The bytes of path, valid until the next read; undefined when it cannot be read. */
  read(path: string): Buffer | undefined {
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
          const bigger = Buffer.allocUnsafe(this.buf.length * 2)
          this.buf.copy(bigger, 0, 0, len)
          this.buf = bigger
        }
        const n = readSync(fd, this.buf, len, this.buf.length - len, null)
        if (n === 0) break
        len += n
      }
    } catch {
      return undefined
    } finally {
      closeSync(fd)
    }
    return this.buf.subarray(0, len)
  }
}

type Fread = ((buf: Buffer, size: number, n: number, fp: unknown) => number) & {
  async(buf: Buffer, size: number, n: number, fp: unknown, done: (err: unknown, n: number) => void): void
}

interface Stdio {
  readonly fopen: (path: string, mode: string) => unknown
  readonly fread: Fread
  readonly ferror: (fp: unknown) => number
  readonly fclose: (fp: unknown) => number
}

function openStdio(libc: LibcAccess | undefined): Stdio | undefined {
  if (!libc?.ok) return undefined
  try {
    return {
      fopen: libc.lib.func('void *fopen(const char *path, const char *mode)'),
      fread: libc.lib.func('size_t fread(uint8_t *buf, size_t size, size_t n, void *fp)') as Fread,
      ferror: libc.lib.func('int ferror(void *fp)'),
      fclose: libc.lib.func('int fclose(void *fp)'),
    }
  } catch {
    return undefined
  }
}

/**
 * Reads /proc files whole on another thread while this one goes on: with
 * 30,000 sockets /proc/net/tcp is 4.5 MB that the kernel writes a page per
 * read, 50-80 ms of its time, which `sockets` spends walking every process's
 * fds meanwhile (collect.ts). glibc's fread loops over those reads until its
 * buffer is full, so one call through koffi's async mode (its own thread)
 * reads the whole file, or a buffer's worth, and the next call the rest.
 * Without libc (openLibc says why), each file is read at once here
 * with a ProcReader, as before.
 */
export class BackgroundProcReader {
  private readonly stdio: Stdio | undefined
  private readonly now = new ProcReader()

  /** libc: glibc through koffi (openLibc); without it, each read is made at once. */
  constructor(libc?: LibcAccess) {
    this.stdio = openStdio(libc)
  }

  /** How read() reads: 'background' with libc, else 'here'. */
  get way(): 'background' | 'here' {
    return this.stdio === undefined ? 'here' : 'background'
  }

  /** The bytes of path (a buffer of their own), or undefined when it cannot be read. */
  read(path: string): Promise<Buffer | undefined> {
    const stdio = this.stdio
    if (stdio === undefined) {
      const bytes = this.now.read(path)
      return Promise.resolve(bytes === undefined ? undefined : Buffer.from(bytes))
    }
    // 'e': O_CLOEXEC, as every descriptor Node opens.
    const fp = stdio.fopen(path, 're')
    if (fp === null) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      let buf = Buffer.allocUnsafe(1024 * 1024)
      let len = 0
      const more = (): void =>
        stdio.fread.async(buf.subarray(len), 1, buf.length - len, fp, (err, n) => {
          len += err ? 0 : n
          if (!err && len === buf.length && stdio.ferror(fp) === 0) {
            const bigger = Buffer.allocUnsafe(buf.length * 2)
            buf.copy(bigger, 0, 0, len)
            buf = bigger
            more()
            return
          }
          const failed = err !== null && err !== undefined ? true : stdio.ferror(fp) !== 0
          stdio.fclose(fp)
          resolve(failed ? undefined : buf.subarray(0, len))
        })
      more()
    })
  }
}
