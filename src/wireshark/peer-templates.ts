// rpcdiag's peer-safety findings as text templates for the Lua dissector.
// The templates are not typed twice: peerSafety() itself is called on frame
// shapes with sentinel values, and the sentinels in its messages become
// {placeholders} that the Lua fills in with the frame's own values. The
// conditions (which lengths trip which finding) are the Lua's, written against
// the same generated limits; the comparison tests check both agree frame by frame.

import {displayText} from '../../decoders/string/index.js'
import {type FrameShape, type Peer, type PeerFinding, type PeerFindingCode, peerSafety, ROCKET_MSG_ID_LIMIT, TINYRPC_MSG_ID_LIMIT} from '../../decoders/tinypb/index.js'

export interface PeerTemplate {
  readonly code: PeerFindingCode
  /** Which form of the finding: MSG_ID_TOO_LONG differs for msg_ids that hurt tinyrpc only. */
  readonly variant: 'any' | 'tinyrpc-only'
  readonly peers: readonly Peer[]
  readonly effect: PeerFinding['effect']
  /** The message with {pk_len}, {msg_id_len}, {method_len}, {err_info_len}, {method}, {service}. */
  readonly template: string
  /** Findings that apply to responses too (the length checks); the rest are about requests only. */
  readonly responsesToo: boolean
}

// Sentinels: values no limit or message text contains, each replaced once.
const PK_LEN = 700_001
const MSG_ID_LEN = 700_002
const METHOD_LEN = 700_003
const ERR_INFO_LEN = 700_004
/** Between TINYRPC_MSG_ID_LIMIT and ROCKET_MSG_ID_LIMIT: an msg_id only tinyrpc chokes on. */
const TINYRPC_ONLY_MSG_ID_LEN = Math.floor((TINYRPC_MSG_ID_LIMIT + ROCKET_MSG_ID_LIMIT) / 2)
const SERVICE = 'Zzpkgsentinel'
const PACKAGED = `${SERVICE}.Zzsvc.zzm`
const DOTLESS = 'Zzdotlesssentinel'

/** The probes: together they trip every finding peerSafety knows, in each of its forms. */
const PROBES: ReadonlyArray<{shape: FrameShape; variant: PeerTemplate['variant']}> = [
  {shape: {pkLen: PK_LEN, msgIdLen: MSG_ID_LEN, methodNameLen: METHOD_LEN, errInfoLen: ERR_INFO_LEN, methodName: PACKAGED}, variant: 'any'},
  {shape: {pkLen: PK_LEN, msgIdLen: TINYRPC_ONLY_MSG_ID_LEN, methodNameLen: METHOD_LEN, errInfoLen: ERR_INFO_LEN, methodName: DOTLESS}, variant: 'tinyrpc-only'},
  {shape: {pkLen: PK_LEN, msgIdLen: 0, methodNameLen: METHOD_LEN, errInfoLen: ERR_INFO_LEN, methodName: PACKAGED}, variant: 'any'},
]

function replaceOnce(text: string, sentinel: string, placeholder: string, code: string): string {
  const at = text.indexOf(sentinel)
  if (at === -1) return text
  if (text.indexOf(sentinel, at + 1) !== -1) throw new Error(`peer-safety message of ${code} repeats the sentinel ${sentinel}: pick another`)
  return text.slice(0, at) + placeholder + text.slice(at + sentinel.length)
}

function templateOf(f: PeerFinding, msgIdLen: number): string {
  let t = f.message
  // Longest first: the method name contains the service name.
  t = replaceOnce(t, displayText(PACKAGED), '{method}', f.code)
  t = replaceOnce(t, displayText(DOTLESS), '{method}', f.code)
  t = replaceOnce(t, displayText(SERVICE), '{service}', f.code)
  t = replaceOnce(t, String(PK_LEN), '{pk_len}', f.code)
  t = replaceOnce(t, String(msgIdLen), '{msg_id_len}', f.code)
  t = replaceOnce(t, String(METHOD_LEN), '{method_len}', f.code)
  t = replaceOnce(t, String(ERR_INFO_LEN), '{err_info_len}', f.code)
  return t
}

/** One template per finding code and form, in peerSafety's order. */
export function peerTemplates(): PeerTemplate[] {
  const out: PeerTemplate[] = []
  for (const {shape, variant} of PROBES) {
    const asResponse = new Set(peerSafety(shape, 'response').map((f) => f.code))
    for (const f of peerSafety(shape, 'request')) {
      const v = f.code === 'MSG_ID_TOO_LONG' ? variant : 'any'
      if (out.some((t) => t.code === f.code && t.variant === v)) continue
      out.push({code: f.code, variant: v, peers: f.peers, effect: f.effect, template: templateOf(f, shape.msgIdLen), responsesToo: asResponse.has(f.code)})
    }
  }
  return out
}
