// TinyPB err_code values. SYS_ERROR_PREFIX pastes "1000" in front of four digits,
// so framework codes are 10000000 + n. Names differ between the two frameworks
// only at 11 and 12.

export type Dialect = 'rocket' | 'tinyrpc'

export const ERROR_CODE_BASE = 10_000_000

const NAMES: ReadonlyArray<readonly [rocket: string, tinyrpc: string]> = [
  ['ERROR_PEER_CLOSED', 'ERROR_PEER_CLOSED'],
  ['ERROR_FAILED_CONNECT', 'ERROR_FAILED_CONNECT'],
  ['ERROR_FAILED_GET_REPLY', 'ERROR_FAILED_GET_REPLY'],
  ['ERROR_FAILED_DESERIALIZE', 'ERROR_FAILED_DESERIALIZE'],
  ['ERROR_FAILED_SERIALIZE', 'ERROR_FAILED_SERIALIZE'],
  ['ERROR_FAILED_ENCODE', 'ERROR_FAILED_ENCODE'],
  ['ERROR_FAILED_DECODE', 'ERROR_FAILED_DECODE'],
  ['ERROR_RPC_CALL_TIMEOUT', 'ERROR_RPC_CALL_TIMEOUT'],
  ['ERROR_SERVICE_NOT_FOUND', 'ERROR_SERVICE_NOT_FOUND'],
  ['ERROR_METHOD_NOT_FOUND', 'ERROR_METHOD_NOT_FOUND'],
  ['ERROR_PARSE_SERVICE_NAME', 'ERROR_PARSE_SERVICE_NAME'],
  ['ERROR_RPC_CHANNEL_INIT', 'ERROR_NOT_SET_ASYNC_PRE_CALL'],
  ['ERROR_RPC_PEER_ADDR', 'ERROR_CONNECT_SYS_ERR'],
]

export const ERROR_PEER_CLOSED = 10_000_000
export const ERROR_FAILED_CONNECT = 10_000_001
export const ERROR_FAILED_GET_REPLY = 10_000_002
export const ERROR_FAILED_DESERIALIZE = 10_000_003
export const ERROR_FAILED_SERIALIZE = 10_000_004
export const ERROR_FAILED_ENCODE = 10_000_005
export const ERROR_FAILED_DECODE = 10_000_006
export const ERROR_RPC_CALL_TIMEOUT = 10_000_007
export const ERROR_SERVICE_NOT_FOUND = 10_000_008
export const ERROR_METHOD_NOT_FOUND = 10_000_009
export const ERROR_PARSE_SERVICE_NAME = 10_000_010
export const ERROR_RPC_CHANNEL_INIT = 10_000_011
export const ERROR_RPC_PEER_ADDR = 10_000_012

/** The framework's name for an err_code, or undefined for 0 and application codes. */
export function errorCodeName(code: number, dialect: Dialect = 'rocket'): string | undefined {
  const n = code - ERROR_CODE_BASE
  const names = Number.isInteger(n) ? NAMES[n] : undefined
  if (names === undefined) return undefined
  return dialect === 'rocket' ? names[0] : names[1]
}

/** A name that is right whichever framework sent the code: "A" or "A (rocket) / B (tinyrpc)". */
export function describeErrorCode(code: number): string {
  if (code === 0) return 'OK'
  const rocket = errorCodeName(code, 'rocket')
  const tinyrpc = errorCodeName(code, 'tinyrpc')
  if (rocket === undefined || tinyrpc === undefined) return `application error ${code}`
  return rocket === tinyrpc ? rocket : `${rocket} (rocket) / ${tinyrpc} (tinyrpc)`
}

/** Every framework code with both names, for listings and help text. */
export function allErrorCodes(): Array<{code: number; rocket: string; tinyrpc: string}> {
  return NAMES.map(([rocket, tinyrpc], n) => ({code: ERROR_CODE_BASE + n, rocket, tinyrpc}))
}
