// A TinyPB server on src/net with a mix of outcomes for load tests: every
// tenth request (from the fourth) gets err_code 10000009, every 25th (from the
// eighth) no reply at all, the rest a reply after 0-3 ms. It records which
// msg_ids it left unanswered.
import {encodeFrame, ERROR_METHOD_NOT_FOUND, type TinyPbFrame, type TinyPbMessage} from '../../../decoders/tinypb/index.js'
import {TcpServer, TinyPbCoder} from '../../../src/net/index.js'

export interface MixedServer {
  readonly addr: {host: string; port: number}
  readonly dropped: string[]
  readonly errors: string[]
  close(): Promise<void>
}

export async function mixedServer(): Promise<MixedServer> {
  const server = new TcpServer<TinyPbFrame, TinyPbMessage>({coder: () => new TinyPbCoder()})
  const dropped: string[] = []
  const errors: string[] = []
  let n = 0
  server.on('connection', (c) => {
    c.on('message', (f) => {
      const i = n++
      if (i % 25 === 7) {
        dropped.push(f.msgId)
        return
      }
      const error = i % 10 === 3
      if (error) errors.push(f.msgId)
      const reply = error
        ? encodeFrame({msgId: f.msgId, methodName: f.methodName, errCode: ERROR_METHOD_NOT_FOUND, errInfo: `not found method_name:[${f.methodName}]`})
        : encodeFrame({msgId: f.msgId, methodName: f.methodName, pbData: Buffer.from('1a083230323330353134', 'hex')})
      setTimeout(() => c.sendRaw(reply), i % 4).unref()
    })
  })
  const addr = await server.listen('127.0.0.1', 0)
  if (!addr.ok) throw addr.error
  return {addr: addr.value, dropped, errors, close: () => server.close(50)}
}
