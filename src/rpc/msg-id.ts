import {randomBytes} from 'node:crypto'

/** rocket's g_msg_id_length: msg_ids are 20 decimal digits. */
export const MSG_ID_LENGTH = 20

/**
 * msg_ids the way rocket's MsgIDUtil makes them: 20 random decimal digits to
 * start, then +1 per call as a decimal string; when the counter would overflow
 * (all nines) a new random start is drawn.
 */
export class MsgIdGenerator {
  private digits: number[] = []

  constructor(
    private readonly random: (n: number) => Uint8Array = randomBytes,
    private readonly length = MSG_ID_LENGTH,
  ) {}

  next(): string {
    if (this.digits.length === 0 || this.digits.every((d) => d === 9)) {
      this.digits = Array.from(this.random(this.length), (b) => b % 10)
    } else {
      let i = this.length - 1
      while (this.digits[i] === 9) this.digits[i--] = 0
      this.digits[i]++
    }
    return this.digits.join('')
  }
}
