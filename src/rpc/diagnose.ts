// Why a TinyPB request got no answer: the rocket and tinyrpc behaviours that
// leave a client waiting (../shared/TINYPB.md), matched against what is known
// about the request. One list for call, the load test and sniff; a capture adds
// what only it can see (see src/capture/transactions-causes.ts). Facts about
// this request come first, then what is merely possible.

import {type PeerFinding, ROCKET_MSG_ID_LIMIT, ROCKET_NAME_LIMIT} from '../../decoders/tinypb/index.js'

/** Which server the user says is on the other end; 'any' explains for both frameworks. */
export type PeerKind = 'rocket' | 'tinyrpc' | 'any'

/** One likely cause: a stable code, and the text for humans. */
export interface NoAnswerCause {
  readonly code: string
  readonly message: string
}

export interface NoAnswerFacts {
  /** method_name as sent. */
  readonly methodName: string
  /** peerSafety findings of the request frame (those for other peers than `peer` are left out). */
  readonly findings: readonly PeerFinding[]
  readonly peer: PeerKind
  /** The server closed or reset the connection without answering (not in answer to the client's FIN). */
  readonly serverClosed?: boolean
  /** ...and it closed while its response frame was still incomplete. */
  readonly midFrame?: boolean
  /** The loaded .proto defines the method (true/false); undefined without a .proto. */
  readonly methodKnown?: boolean
  /** The payload does not parse as the method's request type. */
  readonly payloadBad?: boolean
  /** What the caller saw about this request (a capture: pipelining, half-close): after the frame's own findings. */
  readonly observed?: readonly NoAnswerCause[]
}

/** peerSafety codes whose finding is itself a reason for silence, as the cause code sniff has always reported. */
const FINDING_CAUSE: Partial<Record<PeerFinding['code'], string>> = {
  FRAME_DROPPED_BY_ROCKET: 'FRAME_TOO_LARGE',
  METHOD_HAS_PACKAGE: 'METHOD_HAS_PACKAGE',
  METHOD_WITHOUT_DOT: 'METHOD_WITHOUT_DOT',
  EMPTY_MSG_ID: 'EMPTY_MSG_ID',
}

/**
 * The likely causes of an unanswered request, most likely first. rocket never
 * answers a dispatch error, drops frames of 128 bytes or more and never closes
 * a connection; tinyrpc answers everything it can decode and closes only after
 * the client's FIN or about 54 s idle. The wire facts behind each finding are
 * worded once, by peerSafety; this adds what they mean for the silence.
 */
export function noAnswerCauses(f: NoAnswerFacts): NoAnswerCause[] {
  const rocket = f.peer !== 'tinyrpc'
  const tinyrpc = f.peer !== 'rocket'
  const findings = f.findings.filter((x) => f.peer === 'any' || x.peers.includes(f.peer))
  const out: NoAnswerCause[] = []

  if (f.serverClosed && f.midFrame) {
    out.push({
      code: 'MID_FRAME_CLOSE',
      message: 'the server closed the connection in the middle of its response: it crashed or was stopped while writing, or something in between cut the stream',
    })
  }
  for (const finding of findings) {
    const code = FINDING_CAUSE[finding.code]
    if (finding.effect === 'crash') out.push({code: finding.code, message: `${finding.message}: the server may have crashed`})
    else if (code === 'FRAME_TOO_LARGE') out.push({code, message: `the request ${finding.message}`})
    else if (code !== undefined) out.push({code, message: finding.message})
  }
  out.push(...(f.observed ?? []))

  if (f.serverClosed) {
    if (rocket) {
      const crashFound = findings.some((x) => x.effect === 'crash')
      out.push({
        code: 'ROCKET_NEVER_CLOSES',
        message:
          'rocket never closes a connection by itself, so the server process probably died' +
          (crashFound ? '' : `: a msg_id of ${ROCKET_MSG_ID_LIMIT}+ bytes or a method_name of ${ROCKET_NAME_LIMIT}+ bytes corrupts its memory`),
      })
    }
    if (tinyrpc) {
      out.push({code: 'TINYRPC_CLOSES', message: "tinyrpc closes a connection after the client's FIN or after about 54 s idle; otherwise it crashed or was stopped"})
    }
    return out
  }

  // tinyrpc answers dispatch errors (10000008/10000009/10000010, 10000004 for a bad payload); only rocket is silent.
  let dispatch: NoAnswerCause | undefined
  if (rocket) {
    const tinyrpcToo = tinyrpc ? ' (tinyrpc answers it with an error)' : ''
    const silent = 'rocket sets the error but never sends it'
    if (f.methodKnown === false) {
      dispatch = {code: 'UNKNOWN_METHOD', message: `"${f.methodName}" is not in the loaded .proto: for an unknown service or method ${silent}${tinyrpcToo}`}
    } else if (f.payloadBad) {
      dispatch = {code: 'BAD_REQUEST_PAYLOAD', message: `the request does not parse as the method's request type: ${silent}${tinyrpcToo}`}
    } else {
      const check = f.methodKnown === true ? 'the loaded .proto has it: is the server built from the same one?' : 'give --proto to check'
      dispatch = {code: 'UNKNOWN_METHOD_OR_PAYLOAD', message: `an unknown service or method, or a request that does not parse: ${silent} (${check})`}
    }
  }
  const handler: NoAnswerCause = {
    code: 'HANDLER_NO_DONE',
    message: rocket
      ? "the handler returned without running done (rocket's own makeOrder does this when price < 10), or is still running" +
        (tinyrpc ? ' (a silent tinyrpc, which answers even dispatch errors, means a slow or stuck handler)' : '')
      : 'the handler is slow or stuck: tinyrpc answers even dispatch errors, so only its handler leaves a request unanswered',
  }
  // A method the .proto defines, with a request that parses, points at the handler before the dispatcher.
  const handlerFirst = f.methodKnown === true && !f.payloadBad
  if (dispatch === undefined) out.push(handler)
  else out.push(...(handlerFirst ? [handler, dispatch] : [dispatch, handler]))
  return out
}

/** What a prepared call (call-prepare.ts) tells about the request that went unanswered. */
export interface SentCallFacts {
  readonly wireName: string
  readonly findings: readonly PeerFinding[]
  readonly peer: PeerKind
  /** The method as the .proto defines it, when the call was built from one. */
  readonly method?: unknown
  /** The request as the server decodes it: absent when a schema-built call's raw bytes did not decode. */
  readonly requestJson?: unknown
}

/** Transport error codes of a call that was sent and never answered (a failed connect is not among them). */
const UNANSWERED: Readonly<Record<string, 'timeout' | 'closed'>> = {CALL_TIMEOUT: 'timeout', PEER_CLOSED: 'closed', PEER_RESET: 'closed'}

/**
 * The causes, as text, for calls of one prepared request that failed with these
 * error codes: none for a failed connect; a load test may have seen both
 * timeouts and closes, and gets the causes of both, each once, in the order
 * the codes come (most frequent first).
 */
export function unansweredCallCauses(
  p: SentCallFacts,
  errorCodes: readonly string[],
  midFrame: boolean,
): string[] {
  const how = new Set(errorCodes.map((c) => UNANSWERED[c]).filter((h) => h !== undefined))
  const facts = {
    methodName: p.wireName,
    findings: p.findings,
    peer: p.peer,
    // A schema-built call has its method in the .proto; raw bytes that did not decode left no requestJson.
    methodKnown: p.method === undefined ? undefined : true,
    payloadBad: p.method !== undefined && p.requestJson === undefined,
  }
  const seen = new Set<string>()
  const out: string[] = []
  for (const h of how) {
    const serverClosed = h === 'closed'
    for (const c of noAnswerCauses({...facts, serverClosed, midFrame: serverClosed && midFrame})) {
      if (seen.has(c.code)) continue
      seen.add(c.code)
      out.push(c.message)
    }
  }
  return out
}
