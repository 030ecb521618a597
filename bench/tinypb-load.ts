// What the live benchmarks share: a TinyPB server that answers every request
// at once, and N client connections to it, counting the answers.

import type {TinyPbFrame, TinyPbMessage} from '../decoders/tinypb/index.js'
import {type NetAddr, TcpClient, type TcpConnection, TcpServer, TinyPbCoder} from '../src/net/index.js'

const REPLY_PB = Buffer.from('1a083230323330353134', 'hex')

export async function startEchoServer(): Promise<{server: TcpServer<TinyPbFrame, TinyPbMessage>; addr: NetAddr}> {
  const server = new TcpServer<TinyPbFrame, TinyPbMessage>({coder: () => new TinyPbCoder()})
  server.on('connection', (c) => c.on('message', (f) => c.send({msgId: f.msgIdBytes, methodName: f.methodNameBytes, pbData: REPLY_PB})))
  const addr = await server.listen('127.0.0.1', 0)
  if (!addr.ok) throw addr.error
  return {server, addr: addr.value}
}

export async function connectClients(addr: NetAddr, n: number): Promise<{conns: Array<TcpConnection<TinyPbFrame, TinyPbMessage>>; answered: () => number}> {
  const client = new TcpClient<TinyPbFrame, TinyPbMessage>(addr, {coder: () => new TinyPbCoder()})
  const conns: Array<TcpConnection<TinyPbFrame, TinyPbMessage>> = []
  let answered = 0
  for (let i = 0; i < n; i++) {
    const c = await client.connect()
    if (!c.ok) throw c.error
    c.value.connection.on('message', () => answered++)
    conns.push(c.value.connection)
  }
  return {conns, answered: () => answered}
}
