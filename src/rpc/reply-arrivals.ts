// What a call got instead of its answer. A server that writes a malformed frame
// or a reply with another msg_id did answer: calling that "no response" and
// blaming the handler sends the user to the wrong code. This names what arrived
// and the causes that fit it. A frame cut short by a close (TRUNCATED) is not
// here: that is the peer closing mid-frame, which diagnose.ts words already.

import {displayText} from '../../decoders/string/index.js'
import {DEFAULT_MAX_FRAME, MIN_FRAME} from '../../decoders/tinypb/index.js'
import {NetError} from '../errors.js'
import type {DecodeIssue} from '../net/index.js'
import type {StrayResponse} from './channel.js'
import {LOG_TEXT_MAX} from './log-limits.js'

export interface Arrivals {
  /** Malformed input from the server, the one still being skipped included. */
  readonly malformed: readonly DecodeIssue[]
  readonly strays: readonly StrayResponse[]
}

export interface ArrivalVerdict {
  /** MALFORMED_REPLY or STRAY_REPLY, carrying the transport error's err_code. */
  readonly error: NetError
  readonly causes: readonly string[]
}

/** Why a frame does not decode, by its code: what the server (or what is in between) must have done. */
function malformedCauses(i: DecodeIssue): string[] {
  const other = 'the port speaks another protocol (HTTP, TLS, a string-protocol rocket server), or something in between rewrites the stream'
  switch (i.code) {
    case 'PK_LEN_TOO_LARGE':
      return [`pk_len is beyond the ${DEFAULT_MAX_FRAME / 1024 / 1024} MiB frame maximum: the server wrote a corrupt length (rocket and tinyrpc write the frame's own size)`, other]
    case 'PK_LEN_TOO_SMALL':
      return [`pk_len is below the ${MIN_FRAME}-byte minimum (or negative): the server wrote a corrupt length`, other]
    case 'BAD_END':
      return [
        'pk_len and the bytes written disagree (no 0x03 where the frame should end): the server counts the frame wrongly, or writes other bytes into it',
        other,
      ]
    case 'FIELD_OVERRUN':
    case 'NEGATIVE_PB_LEN':
      return ['a length field inside the frame runs past pk_len: the server miscounts its msg_id, method_name or err_info', other]
    default:
      return [`bytes that are not a TinyPB frame (${i.code}): ${other}`]
  }
}

const STRAY_CAUSES = [
  'the server does not echo the msg_id of the request (rocket answers an empty msg_id with "123456789"; a server that makes up its own msg_id, or cuts or pads it)',
  'a proxy or connection pool in between hands out replies meant for other clients',
]

/** A string off the wire, quoted, escaped for the terminal and cut short. */
function wire(s: string): string {
  return displayText(JSON.stringify(s.length > LOG_TEXT_MAX ? s.slice(0, LOG_TEXT_MAX) + '…' : s))
}

function issueText(i: DecodeIssue): string {
  return `${i.code} at stream offset ${i.offset} (${i.message}; ${i.skipped} bytes skipped)`
}

/**
 * The error and causes for a call left without an answer when something else
 * arrived; undefined when nothing did (a plain timeout or close stays as it is).
 * waited says how the wait ended: "within 500 ms", "before the server closed the connection".
 */
export function replyArrivals(method: string, msgId: string, waited: string, base: NetError, a: Arrivals): ArrivalVerdict | undefined {
  const malformed = a.malformed.filter((i) => i.code !== 'TRUNCATED')
  const strays = a.strays.filter((s) => s.kind === 'unknown')
  if (malformed.length === 0 && strays.length === 0) return undefined
  const head = `no valid reply to ${method} (msg_id ${msgId}) ${waited}`
  const parts: string[] = []
  if (malformed.length > 0) {
    const more = malformed.length > 1 ? `, and ${malformed.length - 1} more malformed input(s) after it` : ''
    parts.push(`the server sent a malformed frame: ${issueText(malformed[0])}${more}`)
  }
  if (strays.length > 0) {
    const s = strays[0]
    const more = strays.length > 1 ? ` (and ${strays.length - 1} more reply(ies) for msg_ids never sent)` : ''
    parts.push(`the server answered msg_id ${wire(s.msgId)} (${wire(s.methodName)}, err_code ${s.errCode}, ${s.pkLen} bytes), not this call's${more}`)
  }
  const code = malformed.length > 0 ? 'MALFORMED_REPLY' : 'STRAY_REPLY'
  const causes = [...(malformed.length > 0 ? malformedCauses(malformed[0]) : []), ...(strays.length > 0 ? STRAY_CAUSES : [])]
  return {error: new NetError(code, `${head}: ${parts.join('; ')}`, {errCode: base.errCode, cause: base}), causes: [...new Set(causes)]}
}
