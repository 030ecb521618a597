/**
 * Every stable code an rpcdiag error can carry: tests and callers match on
 * these, never on message text, and a code not listed here does not compile.
 */
export type ErrorCode =
  // Flags and input (exit 2)
  | 'BAD_FLAGS'
  | 'BAD_ARGS'
  | 'BAD_ADDR'
  | 'BAD_PORT'
  | 'BAD_HOST'
  | 'BAD_PID'
  | 'BAD_PROCESS'
  | 'BAD_STATE'
  | 'BAD_DURATION'
  | 'BAD_EXPRESSION'
  | 'UNKNOWN_COMMAND'
  | 'BAD_SIZE'
  | 'BAD_LOAD'
  | 'BAD_WARMUP'
  | 'BAD_METHOD'
  | 'BAD_JSON'
  | 'BAD_DATA'
  | 'FIELD_TYPE'
  | 'UNKNOWN_FIELD'
  | 'ONEOF_CONFLICT'
  | 'BAD_RESPONSES'
  | 'PEER_UNSAFE'
  | 'BODY_TOO_LARGE'
  | 'BAD_NETNS'
  // .proto files and the methods they define
  | 'NO_PROTO'
  | 'NO_SCHEMA'
  | 'PROTO_NOT_FOUND'
  | 'PROTO_IS_DIRECTORY'
  | 'IMPORT_PATH_NOT_FOUND'
  | 'PROTO_LOAD'
  | 'UNKNOWN_METHOD'
  | 'AMBIGUOUS_METHOD'
  | 'UNKNOWN_SYMBOL'
  | 'AMBIGUOUS_SYMBOL'
  | 'STREAMING_METHOD'
  | 'PB_DECODE'
  // Connections and calls (exit 1)
  | 'CONNECT_REFUSED'
  | 'CONNECT_FAILED'
  | 'CONNECT_TIMEOUT'
  | 'CALL_TIMEOUT'
  | 'PEER_CLOSED'
  | 'PEER_RESET'
  | 'SOCKET_ERROR'
  | 'CHANNEL_CLOSED'
  | 'DUPLICATE_MSG_ID'
  | 'LISTEN_FAILED'
  | 'UNANSWERED'
  | 'SERVER_ERROR'
  | 'MALFORMED_REPLY'
  | 'STRAY_REPLY'
  // Capture sources and files
  | 'CAPTURE_PERMISSION'
  | 'NO_SUCH_INTERFACE'
  | 'BAD_FILTER'
  | 'BAD_DISPLAY_FILTER'
  | 'BAD_FIELD'
  | 'FAIL_ON'
  | 'CAPTURE_UNAVAILABLE'
  | 'CAP_UNAVAILABLE'
  | 'CAPTURE_FAILED'
  | 'READ_FAILED'
  | 'BAD_CAPTURE_FILE'
  | 'UNSUPPORTED_LINK_TYPE'
  | 'FILTER_COMPILER_MISSING'
  | 'WRITE_FAILED'
  // Network namespaces and the metrics endpoint
  | 'NETNS_FAILED'
  | 'METRICS_LISTEN_FAILED'
  // Whole commands
  | 'DEMO_FAILED'
  // Anything else that stopped a command (a bug: DEBUG=rpcdiag* shows the stack)
  | 'INTERNAL'

/**
 * The one error hierarchy of rpcdiag. Every error has a stable `code` that tests
 * and callers match on, an optional TinyPB err_code (the rocket/tinyrpc 1000xxxx
 * code the C++ client would report for the same failure) and an optional cause.
 */
export class RpcDiagError extends Error {
  readonly code: ErrorCode
  readonly errCode?: number
  /** One line on what to type instead, printed under the error. */
  readonly hint?: string

  constructor(code: ErrorCode, message: string, opts: {cause?: unknown; errCode?: number; hint?: string} = {}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = new.target.name
    this.code = code
    this.errCode = opts.errCode
    this.hint = opts.hint
  }
}

/** Bad input from the user (flags, files, JSON): exit code 2 in commands. */
export class UsageError extends RpcDiagError {}

/** sniff --fail-on: the capture showed what the user asked to fail on (exit 4, src/cli/exit-codes.ts). */
export class FailOnError extends RpcDiagError {}

/** A transport failure: refused, timed out, peer closed. Exit code 1 in commands. */
export class NetError extends RpcDiagError {}

export type Result<T, E = RpcDiagError> = {readonly ok: true; readonly value: T} | {readonly ok: false; readonly error: E}

export function ok<T>(value: T): {readonly ok: true; readonly value: T} {
  return {ok: true, value}
}

export function err<E>(error: E): {readonly ok: false; readonly error: E} {
  return {ok: false, error}
}
