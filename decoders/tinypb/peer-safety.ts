import {displayText} from '../string/printable.js'
import {ROCKET_EMPTY_MSG_ID_REPLY, ROCKET_FRAME_DROP, ROCKET_MSG_ID_LIMIT, ROCKET_NAME_LIMIT, TINYRPC_MSG_ID_LIMIT} from './constants.js'

/** What a frame would do to a C++ peer. Stable codes; the text explains it for humans. */
export type PeerFindingCode =
  | 'MSG_ID_TOO_LONG'
  | 'METHOD_NAME_TOO_LONG'
  | 'ERR_INFO_TOO_LONG'
  | 'FRAME_DROPPED_BY_ROCKET'
  | 'METHOD_HAS_PACKAGE'
  | 'METHOD_WITHOUT_DOT'
  | 'EMPTY_MSG_ID'

export type Peer = 'rocket' | 'tinyrpc'

export interface PeerFinding {
  readonly code: PeerFindingCode
  /** The peers this frame hurts. */
  readonly peers: readonly Peer[]
  /** crash: memory corruption in the peer; drop: silently never answered; misroute: answered with a dispatch error or not at all. */
  readonly effect: 'crash' | 'drop' | 'misroute'
  readonly message: string
}

/** The frame facts peerSafety needs; a TinyPbFrame has them all. */
export interface FrameShape {
  readonly pkLen: number
  readonly msgIdLen: number
  readonly methodNameLen: number
  readonly errInfoLen: number
  readonly methodName: string
}

// The peers lists, shared by every finding (half the requests of a capture may have one).
const ROCKET: readonly Peer[] = ['rocket']
const TINYRPC: readonly Peer[] = ['tinyrpc']
const TINYRPC_ROCKET: readonly Peer[] = ['tinyrpc', 'rocket']
const ROCKET_TINYRPC: readonly Peer[] = ['rocket', 'tinyrpc']

/** What nearly every frame gets: one shared empty answer, not an array per frame of a capture. */
const NO_FINDINGS: readonly PeerFinding[] = []

/**
 * Findings about a frame that would crash, drop or misroute a rocket or tinyrpc
 * peer. Dispatch findings (method name shape, empty msg_id) and rocket's drop of
 * large frames only apply to requests.
 */
export function peerSafety(f: FrameShape, role: 'request' | 'response' = 'request'): readonly PeerFinding[] {
  let out: PeerFinding[] | undefined
  if (f.msgIdLen >= TINYRPC_MSG_ID_LIMIT) {
    const rocketToo = f.msgIdLen >= ROCKET_MSG_ID_LIMIT
    ;(out ??= []).push({
      code: 'MSG_ID_TOO_LONG',
      peers: rocketToo ? TINYRPC_ROCKET : TINYRPC,
      effect: 'crash',
      message:
        `msg_id is ${f.msgIdLen} bytes: tinyrpc copies it into ${TINYRPC_MSG_ID_LIMIT} bytes` +
        (rocketToo ? ` and rocket into ${ROCKET_MSG_ID_LIMIT}` : '') +
        ' without a bounds check',
    })
  }
  if (f.methodNameLen >= ROCKET_NAME_LIMIT) {
    ;(out ??= []).push({
      code: 'METHOD_NAME_TOO_LONG',
      peers: ROCKET,
      effect: 'crash',
      message: `method_name is ${f.methodNameLen} bytes: rocket copies it into ${ROCKET_NAME_LIMIT} bytes without a bounds check`,
    })
  }
  if (f.errInfoLen >= ROCKET_NAME_LIMIT) {
    ;(out ??= []).push({
      code: 'ERR_INFO_TOO_LONG',
      peers: ROCKET,
      effect: 'crash',
      message: `err_info is ${f.errInfoLen} bytes: rocket copies it into ${ROCKET_NAME_LIMIT} bytes without a bounds check`,
    })
  }
  if (role === 'request') {
    // The server's first read buffer loses a large request; replies are read by the client, which has no such limit.
    if (f.pkLen >= ROCKET_FRAME_DROP) {
      ;(out ??= []).push({
        code: 'FRAME_DROPPED_BY_ROCKET',
        peers: ROCKET,
        effect: 'drop',
        message: `frame is ${f.pkLen} bytes: rocket silently drops request frames of ${ROCKET_FRAME_DROP} bytes or more (its first read buffer loses them)`,
      })
    }
    const firstDot = f.methodName.indexOf('.')
    // The name comes off the wire and these messages are printed: escaped so it cannot drive a terminal
    // (only when there is a finding: escaping every request's name cost more than the check).
    if (firstDot === -1) {
      const name = displayText(f.methodName)
      ;(out ??= []).push({
        code: 'METHOD_WITHOUT_DOT',
        peers: ROCKET_TINYRPC,
        effect: 'misroute',
        message: `method_name "${name}" has no "Service.method" dot: tinyrpc answers 10000010, rocket never answers`,
      })
    } else if (f.methodName.indexOf('.', firstDot + 1) !== -1) {
      const name = displayText(f.methodName)
      ;(out ??= []).push({
        code: 'METHOD_HAS_PACKAGE',
        peers: ROCKET,
        effect: 'misroute',
        message: `method_name "${name}" has a package: rocket splits at the first dot and looks up service "${displayText(f.methodName.slice(0, firstDot))}", which is not found (no reply)`,
      })
    }
    if (f.msgIdLen === 0) {
      ;(out ??= []).push({
        code: 'EMPTY_MSG_ID',
        peers: TINYRPC_ROCKET,
        effect: 'drop',
        message: `msg_id is empty: tinyrpc drops the request silently, rocket answers with msg_id "${ROCKET_EMPTY_MSG_ID_REPLY}"`,
      })
    }
  }
  return out ?? NO_FINDINGS
}
