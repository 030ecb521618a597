import {closeSync, openSync, readSync} from 'node:fs'

const NINE = 0x39 // '9'

/**
 * n random bytes from /dev/urandom, where rocket's MsgIDUtil reads them too;
 * from node:crypto where there is none. Not node:crypto first: loading it is
 * ~5 ms of a one-shot call's start-up (bench/startup.ts), for 20 bytes.
 */
export function urandom(n: number): Uint8Array {
  const out = new Uint8Array(n)
  let fd: number
  try {
    fd = openSync('/dev/urandom', 'r')
  } catch {
    return process.getBuiltinModule('node:crypto').randomBytes(n)
  }
  try {
    for (let got = 0; got < n; ) {
      const r = readSync(fd, out, got, n - got, null)
      if (r === 0) return process.getBuiltinModule('node:crypto').randomBytes(n)
      got += r
    }
  } finally {
    closeSync(fd)
  }
  return out
}

/** rocket's g_msg_id_length: msg_ids are 20 decimal digits. */
export const MSG_ID_LENGTH = 20

/**
 * msg_ids the way rocket's MsgIDUtil makes them: 20 random decimal digits to
 * start, then +1 per call as a decimal string; when the counter would overflow
 * (all nines) a new random start is drawn.
 */
export class MsgIdGenerator {
  private current = ''

  constructor(
    private readonly random: (n: number) => Uint8Array = urandom,
    private readonly length = MSG_ID_LENGTH,
  ) {}

  next(): string {
    const s = this.current
    let i = this.length - 1
    while (i >= 0 && s.charCodeAt(i) === NINE) i--
    if (s.length === 0 || i < 0) {
      this.current = Array.from(this.random(this.length), (b) => b % 10).join('')
    } else {
      // +1 as text: a load test asks once per call, and string edits beat rebuilding 20 digits.
      this.current = s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) + 1) + '0'.repeat(this.length - 1 - i)
    }
    return this.current
  }
}
