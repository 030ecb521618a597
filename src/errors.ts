/**
 * The one error hierarchy of rpcdiag. Every error has a stable `code` that tests
 * and callers match on, an optional TinyPB err_code (the rocket/tinyrpc 1000xxxx
 * code the C++ client would report for the same failure) and an optional cause.
 */
export class RpcDiagError extends Error {
  readonly code: string
  readonly errCode?: number

  constructor(code: string, message: string, opts: {cause?: unknown; errCode?: number} = {}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = new.target.name
    this.code = code
    this.errCode = opts.errCode
  }
}

/** Bad input from the user (flags, files, JSON): exit code 2 in commands. */
export class UsageError extends RpcDiagError {}

/** A transport failure: refused, timed out, peer closed. Exit code 1 in commands. */
export class NetError extends RpcDiagError {}

export type Result<T, E = RpcDiagError> = {readonly ok: true; readonly value: T} | {readonly ok: false; readonly error: E}

export function ok<T>(value: T): {readonly ok: true; readonly value: T} {
  return {ok: true, value}
}

export function err<E>(error: E): {readonly ok: false; readonly error: E} {
  return {ok: false, error}
}
