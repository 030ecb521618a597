// A small server on src/net that behaves the way TINYPB.md says rocket's does on
// the wire: on a reused connection it re-sends every earlier reply before the
// new one (in the same write), it never answers a dispatch error, it silently
// drops frames of 128 bytes or more, and it never closes a connection.
import {encodeFrame, ROCKET_FRAME_DROP, type TinyPbFrame, type TinyPbMessage} from '../../../decoders/tinypb/index.js'
import {TcpServer, TinyPbCoder} from '../../../src/net/index.js'

export interface RocketLike {
  readonly addr: {host: string; port: number}
  /** Requests seen, in order, as msg_id. */
  readonly seen: string[]
  close(): Promise<void>
}

/**
 * answer(frame) returns the reply pb_data, or undefined for "no reply" (a
 * dispatch error or a handler that never runs done).
 */
export async function rocketLikeServer(answer: (f: TinyPbFrame) => Uint8Array | undefined): Promise<RocketLike> {
  const server = new TcpServer<TinyPbFrame, TinyPbMessage>({coder: () => new TinyPbCoder()})
  const seen: string[] = []
  server.on('connection', (c) => {
    const sent: Buffer[] = []
    c.on('message', (f) => {
      seen.push(f.msgId)
      if (f.pkLen >= ROCKET_FRAME_DROP) return
      const pb = answer(f)
      if (pb === undefined) return
      const reply = encodeFrame({msgId: f.msgId, methodName: f.methodName, pbData: pb})
      // rocket's out buffer is never consumed: each write holds every reply so far.
      sent.push(reply)
      c.sendRaw(Buffer.concat(sent))
    })
    // rocket leaves its side open after the client's FIN (CLOSE_WAIT piles up).
  })
  const addr = await server.listen('127.0.0.1', 0)
  if (!addr.ok) throw addr.error
  return {
    addr: addr.value,
    seen,
    close: () => server.close(50),
  }
}
