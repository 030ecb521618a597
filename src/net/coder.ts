import type {TcpBuffer} from './tcp-buffer.js'

/** A malformed-input report from a coder: bad wire data is a value, never a throw. */
export interface DecodeIssue {
  readonly kind: 'error'
  readonly code: string
  /** Stream position where the bad bytes start. */
  readonly offset: number
  readonly message: string
  /** Bytes dropped to resync. */
  readonly skipped: number
}

/**
 * Turns a connection's byte stream into messages and messages into bytes.
 * One coder instance per connection: it may hold stream state.
 */
export interface Coder<In, Out> {
  /** Consume what input holds; push complete messages and issues to out. */
  decode(input: TcpBuffer, out: Array<In | DecodeIssue>): void
  /** The peer finished sending: consume everything, reporting a cut-off message. */
  finish(input: TcpBuffer, out: Array<In | DecodeIssue>): void
  /** Append the encoding of msg to output. */
  encode(msg: Out, output: TcpBuffer): void
  /** Malformed input still being skipped, not yet reported (it is, once its resync ends). */
  pending?(): DecodeIssue | undefined
}

export function isIssue(m: unknown): m is DecodeIssue {
  return typeof m === 'object' && m !== null && (m as {kind?: unknown}).kind === 'error'
}
