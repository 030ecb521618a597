import type {TinyPbFrame} from '../../decoders/tinypb/index.js'
import type {NetError} from '../errors.js'
import type {Deadline, NetAddr} from '../net/index.js'

/** Clock times of one call (ms, from the channel's clock). */
export interface CallTimes {
  /** The call began (before connecting, when the call opens its own connection). */
  startedAt: number
  /** TCP handshake done. */
  connectedAt?: number
  /** The request frame was handed to the kernel. */
  sentAt?: number
  /** The first byte after the request arrived. */
  firstByteAt?: number
  /** The response frame was complete, or the call failed. */
  finishedAt?: number
}

/**
 * The state of one call, after rocket's RpcController: what goes in (msg_id,
 * the deadline fixed when the caller's wait began) and what comes out (err_code/err_info from the frame, a transport
 * failure, the response frame, timings). The channel fills it in; nothing
 * here does I/O.
 */
export class RpcController {
  /** The server's err_code and err_info (0 and "" until a response arrives). */
  errCode = 0
  errInfo = ''
  /** The response frame: a view that stays valid (TcpBuffer never overwrites bytes it handed out). */
  response: TinyPbFrame | undefined
  /** Set when no response came: timeout, peer closed, reset, refused. */
  error: NetError | undefined
  local: NetAddr | undefined
  peer: NetAddr | undefined
  /** The response's method_name differed from the request's (seen with broken proxies and dispatchers). */
  methodMismatch: string | undefined
  readonly times: CallTimes

  constructor(
    readonly msgId: string,
    /** When waiting stops, connect and send included if the call began before them. */
    readonly deadline: Deadline,
    startedAt: number,
  ) {
    this.times = {startedAt}
  }

  /** The budget as the user gave it (--timeout): what a timeout message quotes. */
  get timeoutMs(): number {
    return this.deadline.budgetMs
  }

  get finished(): boolean {
    return this.times.finishedAt !== undefined
  }

  /** True when there is no usable answer: a transport failure or err_code != 0. */
  failed(): boolean {
    return this.error !== undefined || this.errCode !== 0
  }

  /** ms from start to t, or undefined if t never happened. */
  since(t: number | undefined): number | undefined {
    return t === undefined ? undefined : t - this.times.startedAt
  }
}
