// Why a request went unanswered: the rocket and tinyrpc behaviours that leave a
// client waiting (see ../shared/TINYPB.md), matched against what the capture
// shows about the request. Facts about this request come first, then what is
// merely possible.

import {ROCKET_FRAME_DROP, type PeerFinding} from '../../decoders/tinypb/index.js'
import type {Cause} from './sniff-session-events.js'

/** What is known about an unanswered request when its causes are listed. */
export interface UnansweredFacts {
  readonly size: number
  readonly method: string
  /** peerSafety findings of the request frame. */
  readonly findings: readonly PeerFinding[]
  /** Another request frame arrived in the same TCP segment. */
  readonly sameSegment: boolean
  /** ms from the request's last byte to the client's FIN, when the client half-closed while the request waited. */
  readonly clientFinAfterMs?: number
  /** The capture lost bytes from the server while the request waited, or at all on this connection. */
  readonly serverGap: boolean
  /** How the server's side ended before a reply, if it did on its own (not in answer to the client's FIN). */
  readonly serverEnded?: 'fin' | 'rst'
  /** The loaded .proto defines the method (true/false); undefined without a .proto. */
  readonly methodKnown: boolean | undefined
  /** The payload did not parse as the method's request type. */
  readonly payloadBad: boolean
}

/** A FIN this soon after the request arrives with it (same read) on the server. */
export const HALF_CLOSE_AT_ONCE_MS = 10

export function likelyCauses(f: UnansweredFacts): Cause[] {
  const out: Cause[] = []
  if (f.serverGap) {
    out.push({code: 'CAPTURE_GAP', message: 'the capture lost bytes the server sent: the reply may be among them'})
  }
  if (f.serverEnded !== undefined) {
    out.push({
      code: f.serverEnded === 'rst' ? 'SERVER_RESET' : 'SERVER_CLOSED',
      message: `the server ${f.serverEnded === 'rst' ? 'reset' : 'closed'} the connection without answering`,
    })
  }
  for (const finding of f.findings) {
    if (finding.code === 'FRAME_DROPPED_BY_ROCKET') {
      out.push({code: 'FRAME_TOO_LARGE', message: `the request frame is ${f.size} bytes: rocket silently drops frames of ${ROCKET_FRAME_DROP} bytes or more`})
    } else if (finding.code === 'METHOD_HAS_PACKAGE' || finding.code === 'METHOD_WITHOUT_DOT' || finding.code === 'EMPTY_MSG_ID') {
      out.push({code: finding.code, message: finding.message})
    } else if (finding.effect === 'crash') {
      out.push({code: finding.code, message: `${finding.message}: the server may have crashed`})
    }
  }
  if (f.sameSegment) {
    out.push({code: 'PIPELINED', message: 'another request came in the same TCP segment: rocket drops both requests of such a write'})
  }
  // rocket reads the request and the FIN in one go and drops both; a FIN long after is the client giving up.
  if (f.clientFinAfterMs !== undefined && f.clientFinAfterMs < HALF_CLOSE_AT_ONCE_MS) {
    out.push({
      code: 'HALF_CLOSED',
      message: `the client half-closed (FIN) ${f.clientFinAfterMs.toFixed(3)} ms after the request: rocket drops a request followed at once by the client's FIN`,
    })
  }
  if (f.methodKnown === false) {
    out.push({
      code: 'UNKNOWN_METHOD',
      message: `"${f.method}" is not in the loaded .proto: rocket sends no reply for an unknown service or method (tinyrpc answers 10000008/10000009)`,
    })
  } else if (f.payloadBad) {
    out.push({code: 'BAD_REQUEST_PAYLOAD', message: "the request does not parse as the method's request type: rocket sends no reply for it"})
  } else if (f.methodKnown === undefined) {
    out.push({
      code: 'UNKNOWN_METHOD_OR_PAYLOAD',
      message: 'rocket sends no reply for an unknown service or method or a request that does not parse (give --proto to check)',
    })
  }
  out.push({code: 'HANDLER_NO_DONE', message: 'the handler returned without running done (rocket\'s makeOrder does this for price < 10), or is still running'})
  return out
}
