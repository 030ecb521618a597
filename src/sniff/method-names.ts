// Method names as strings, one string per distinct name: a capture calls a
// handful of methods over and over, and decoding each frame's name into a new
// string cost an allocation, a UTF-8 decode and, in every Map keyed by method
// (the per-method statistics), a fresh hash. The same string each time also
// makes those lookups a pointer compare.

/** Distinct names kept; past that, names are decoded per frame as before (hostile traffic cannot grow this). */
const MAX_NAMES = 64

export class MethodNames {
  private readonly bytes: Buffer[] = []
  private readonly names: string[] = []

  /** The method name held in buf[at, at + len). */
  name(buf: Buffer, at: number, len: number): string {
    const bytes = this.bytes
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]
      if (b.length !== len) continue
      let j = 0
      while (j < len && b[j] === buf[at + j]) j++
      if (j === len) return this.names[i]
    }
    const s = buf.toString('utf8', at, at + len)
    if (bytes.length < MAX_NAMES) {
      bytes.push(Buffer.from(buf.subarray(at, at + len)))
      this.names.push(s)
    }
    return s
  }
}
