// Why a captured request went unanswered: what only a capture can see (how
// large a read the server got, who closed first and when, a FIN right behind
// the request), then the causes every client shares (src/rpc/diagnose.ts: the
// frame's peer-safety findings, rocket's silent dispatch errors, a handler that
// never ran done). Bytes the capture lost do not explain a silence: a call they
// touch is reported uncertain, not unanswered.

import {durationText} from '../../stats/duration.js'
import {type PeerFinding, ROCKET_FRAME_DROP} from '../../../decoders/tinypb/index.js'
import {noAnswerCauses} from '../../rpc/diagnose.js'
import type {Cause} from '../events.js'

/** What is known about an unanswered request when its causes are listed. */
export interface UnansweredFacts {
  /** pk_len of the request (the findings already say what its size means). */
  readonly size: number
  readonly method: string
  /** peerSafety findings of the request frame. */
  readonly findings: readonly PeerFinding[]
  /** Payload bytes of the largest TCP segment that carried the request (FrameRecord.segmentBytes). */
  readonly segmentBytes: number
  /** ms from the request's last byte to the client's FIN, when the client half-closed while the request waited. */
  readonly clientFinAfterMs?: number
  /** How the server's side ended before a reply, if it did on its own (not in answer to the client's FIN). */
  readonly serverEnded?: 'fin' | 'rst'
  /** The loaded .proto defines the method (true/false); undefined without a .proto. */
  readonly methodKnown: boolean | undefined
  /** The payload did not parse as the method's request type. */
  readonly payloadBad: boolean
}

/** A FIN this soon after the request arrives with it (same read) on the server. */
export const HALF_CLOSE_AT_ONCE_MS = 10

/** rocket's rule, worded for one request and the segment that carried it. */
function readRule(f: UnansweredFacts): Cause {
  const rule = `rocket loses whatever one read() returns when it is ${ROCKET_FRAME_DROP} bytes or more`
  if (f.segmentBytes <= f.size) {
    return {code: 'FRAME_TOO_LARGE', message: `the request frame is ${f.size} bytes: ${rule}`}
  }
  return {
    code: 'READ_TOO_LARGE',
    message: `the TCP segment that carried this ${f.size}-byte request held ${f.segmentBytes} bytes (other frames came with it): ${rule}, every frame in it`,
  }
}

export function likelyCauses(f: UnansweredFacts): Cause[] {
  const first: Cause[] = []
  // The segment is at least what the server's read() returned: rocket's 128-byte rule comes first.
  const read = f.segmentBytes >= ROCKET_FRAME_DROP ? readRule(f) : undefined
  if (read !== undefined) first.push(read)
  if (f.serverEnded !== undefined) {
    first.push({
      code: f.serverEnded === 'rst' ? 'SERVER_RESET' : 'SERVER_CLOSED',
      message: `the server ${f.serverEnded === 'rst' ? 'reset' : 'closed'} the connection without answering`,
    })
  }
  const observed: Cause[] = []
  // rocket reads the request and the FIN in one go and drops both; a FIN long after is the client giving up.
  if (f.clientFinAfterMs !== undefined && f.clientFinAfterMs < HALF_CLOSE_AT_ONCE_MS) {
    observed.push({
      code: 'HALF_CLOSED',
      message: `the client half-closed (FIN) ${durationText(f.clientFinAfterMs)} after the request: rocket drops a request followed at once by the client's FIN`,
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
  // The frame-size finding says the same rule; it was named first already.
  return [...first, ...(read === undefined ? shared : shared.filter((c) => c.code !== 'FRAME_TOO_LARGE'))]
}
