import {randomBytes} from 'node:crypto'

const NINE = 0x39 // '9'

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
    private readonly random: (n: number) => Uint8Array = randomBytes,
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
