import {ROCKET_FRAME_DROP, ROCKET_MSG_ID_LIMIT, ROCKET_NAME_LIMIT} from '../../decoders/tinypb/index.js'

/** Which server the user says is on the other end; 'any' explains for both frameworks. */
export type PeerKind = 'rocket' | 'tinyrpc' | 'any'

export interface NoAnswerFacts {
  /** The deadline passed, or the peer closed the connection first. */
  readonly what: 'timeout' | 'peer-closed'
  /** The peer closed while its response frame was still incomplete. */
  readonly midFrame?: boolean
  readonly methodName: string
  /** Size of the request frame in bytes (pk_len). */
  readonly frameSize: number
  readonly msgIdLen: number
  readonly peer: PeerKind
  /** false when a schema was loaded and lacks the method (then it is the first suspect). */
  readonly methodInSchema?: boolean
}

/**
 * The likely causes of an unanswered call, most likely first, from what the
 * C++ servers are known to do (../shared/TINYPB.md): rocket never answers a
 * dispatch error, drops frames of 128 bytes or more and never closes a
 * connection; tinyrpc answers everything it can decode.
 */
export function explainNoAnswer(f: NoAnswerFacts): string[] {
  const out: string[] = []
  const rocket = f.peer !== 'tinyrpc'
  const tinyrpc = f.peer !== 'rocket'
  const on = (peer: string) => (f.peer === 'any' ? `${peer}: ` : '')

  if (f.what === 'peer-closed') {
    if (f.midFrame) {
      out.push('the server closed the connection in the middle of its response: it crashed or was stopped while writing, or something in between cut the stream')
    }
    if (rocket) {
      out.push(
        `${on('rocket')}rocket never closes a connection by itself, so the server process probably died: ` +
          `a msg_id of ${ROCKET_MSG_ID_LIMIT}+ bytes or a method_name of ${ROCKET_NAME_LIMIT}+ bytes corrupts its memory`,
      )
    }
    if (tinyrpc) out.push(`${on('tinyrpc')}tinyrpc closes a connection after the client's FIN or after about 54 s idle; otherwise it crashed or was stopped`)
    return out
  }

  if (rocket) {
    if (f.frameSize >= ROCKET_FRAME_DROP) {
      out.push(
        `${on('rocket')}the request frame is ${f.frameSize} bytes: rocket silently drops frames of ${ROCKET_FRAME_DROP} bytes or more ` +
          '(its first read buffer is 128 bytes and an off-by-one loses the data)',
      )
    }
    const firstDot = f.methodName.indexOf('.')
    if (firstDot !== -1 && f.methodName.indexOf('.', firstDot + 1) !== -1) {
      out.push(
        `${on('rocket')}method_name "${f.methodName}" has a package: rocket splits it at the first dot, looks up service ` +
          `"${f.methodName.slice(0, firstDot)}", does not find it and never answers`,
      )
    }
    const unknown = f.methodInSchema === false ? ` ("${f.methodName}" is not in the loaded .proto either)` : ''
    out.push(
      `${on('rocket')}an unknown service or method${unknown}: rocket sets the error but never sends it, ` +
        'and the same goes for a request that does not parse (check the name with `rpcdiag methods`)',
    )
    out.push(`${on('rocket')}the handler returned without running done (rocket's own makeOrder does this when price < 10), or is still busy`)
    if (f.msgIdLen === 0) out.push(`${on('rocket')}msg_id is empty: rocket answers with msg_id "123456789", which matches no call`)
  }
  if (tinyrpc) {
    if (f.msgIdLen === 0) out.push(`${on('tinyrpc')}msg_id is empty: tinyrpc drops such a request silently`)
    out.push(`${on('tinyrpc')}tinyrpc answers even dispatch errors, so a silent tinyrpc means a slow or stuck handler`)
  }
  return out
}
