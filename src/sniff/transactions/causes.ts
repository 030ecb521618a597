// Why a captured request went unanswered: what only a capture can see (bytes
// the capture lost, who closed first and when, two requests in one segment,
// a FIN right behind the request), then the causes every client shares
// (src/rpc/diagnose.ts: the frame's peer-safety findings, rocket's silent
// dispatch errors, a handler that never ran done).

import type {PeerFinding} from '../../../decoders/tinypb/index.js'
import {noAnswerCauses} from '../../rpc/diagnose.js'
import type {Cause} from '../events.js'

/** What is known about an unanswered request when its causes are listed. */
export interface UnansweredFacts {
  /** pk_len of the request (the findings already say what its size means). */
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
  const first: Cause[] = []
  if (f.serverGap) {
    first.push({code: 'CAPTURE_GAP', message: 'the capture lost bytes the server sent: the reply may be among them'})
  }
  if (f.serverEnded !== undefined) {
    first.push({
      code: f.serverEnded === 'rst' ? 'SERVER_RESET' : 'SERVER_CLOSED',
      message: `the server ${f.serverEnded === 'rst' ? 'reset' : 'closed'} the connection without answering`,
    })
  }
  const observed: Cause[] = []
  if (f.sameSegment) {
    observed.push({code: 'PIPELINED', message: 'another request came in the same TCP segment: rocket drops both requests of such a write'})
  }
  // rocket reads the request and the FIN in one go and drops both; a FIN long after is the client giving up.
  if (f.clientFinAfterMs !== undefined && f.clientFinAfterMs < HALF_CLOSE_AT_ONCE_MS) {
    observed.push({
      code: 'HALF_CLOSED',
      message: `the client half-closed (FIN) ${f.clientFinAfterMs.toFixed(3)} ms after the request: rocket drops a request followed at once by the client's FIN`,
    })
  }
  // A capture cannot tell rocket from tinyrpc: explain for both.
  const shared = noAnswerCauses({
    methodName: f.method,
    findings: f.findings,
    peer: 'any',
    serverClosed: f.serverEnded !== undefined,
    methodKnown: f.methodKnown,
    payloadBad: f.payloadBad,
    observed,
  })
  return [...first, ...shared]
}
