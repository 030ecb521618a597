import {once} from 'node:events'
import {createServer, type Socket} from 'node:net'

import {afterEach, describe, expect, it, vi} from 'vitest'

import {encodeFrame, ERROR_PEER_CLOSED, ERROR_RPC_CALL_TIMEOUT, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {deadlineIn, systemClock, TcpClient, TcpServer, TinyPbCoder} from '../../src/net/index.js'
import {RpcChannel, RpcController} from '../../src/rpc/index.js'
import {rocketLikeServer} from './helpers/rocket-like-server.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

type Conn = import('../../src/net/index.js').TcpConnection<TinyPbFrame, TinyPbMessage>

/** A TinyPB server on our TcpServer whose behaviour each test writes. */
async function server(onConnection: (c: Conn) => void) {
  const s = new TcpServer<TinyPbFrame, TinyPbMessage>({coder: () => new TinyPbCoder()})
  s.on('connection', onConnection)
  const addr = await s.listen('127.0.0.1', 0)
  if (!addr.ok) throw addr.error
  cleanups.push(() => s.close(50))
  return addr.value
}

/** A raw socket server for peers that break the framing on purpose. */
async function rawServer(onSocket: (s: Socket) => void) {
  const sockets = new Set<Socket>()
  const srv = createServer({allowHalfOpen: true}, (s) => {
    sockets.add(s)
    s.on('error', () => {})
    onSocket(s)
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        srv.close(() => r())
      }),
  )
  return {host: '127.0.0.1', port: (srv.address() as {port: number}).port}
}

async function channelTo(addr: {host: string; port: number}) {
  const r = await new TcpClient<TinyPbFrame, TinyPbMessage>(addr, {coder: () => new TinyPbCoder()}).connect()
  if (!r.ok) throw r.error
  const ch = new RpcChannel(r.value.connection)
  cleanups.push(() => ch.destroy())
  return ch
}

function controller(msgId: string, timeoutMs = 5000) {
  return new RpcController(msgId, deadlineIn(systemClock, timeoutMs), performance.now())
}

const text = (c: RpcController) => c.response?.pbData.toString()

describe('RpcChannel', () => {
  it('pairs pipelined calls by msg_id even when the answers come back in reverse order', async () => {
    const addr = await server((c) => {
      const held: TinyPbFrame[] = []
      c.on('message', (f) => {
        held.push(f)
        if (held.length < 3) return
        for (const h of held.reverse()) c.send({msgId: h.msgId, methodName: h.methodName, pbData: Buffer.from(`answer ${h.msgId}`)})
      })
    })
    const ch = await channelTo(addr)
    const calls = ['1', '2', '3'].map((id) => controller(id))
    await Promise.all(calls.map((c) => ch.call(c, 'Order.makeOrder', new Uint8Array(0))))
    expect(calls.map(text)).toEqual(['answer 1', 'answer 2', 'answer 3'])
    expect(calls.every((c) => c.error === undefined && c.times.firstByteAt! <= c.times.finishedAt!)).toBe(true)
    expect(ch.strayTotal).toBe(0)
  })

  it('never takes a re-sent old reply (rocket on a reused connection) as the answer, and counts it', async () => {
    const rocket = await rocketLikeServer((f) => Buffer.from(`reply to ${f.msgId}`))
    cleanups.push(() => rocket.close())
    const ch = await channelTo(rocket.addr)
    const answers: Array<string | undefined> = []
    for (const id of ['11', '12', '13']) {
      const c = controller(id)
      await ch.call(c, 'Order.makeOrder', new Uint8Array(0))
      answers.push(text(c))
    }
    expect(answers).toEqual(['reply to 11', 'reply to 12', 'reply to 13'])
    // Call 2 saw reply 1 again; call 3 saw replies 1 and 2 again.
    await vi.waitFor(() => expect(ch.strayTotal).toBe(3))
    expect(ch.strays.map((s) => [s.kind, s.msgId])).toEqual([
      ['duplicate', '11'],
      ['duplicate', '11'],
      ['duplicate', '12'],
    ])
  })

  it('times out a silent call with ERROR_RPC_CALL_TIMEOUT, then counts the late reply as a stray', async () => {
    let release: (() => void) | undefined
    const addr = await server((c) => {
      c.on('message', (f) => {
        release = () => c.send({msgId: f.msgId, methodName: f.methodName, pbData: new Uint8Array(0)})
      })
    })
    const ch = await channelTo(addr)
    const c = controller('late-1', 50)
    await ch.call(c, 'Order.makeOrder', new Uint8Array(0))
    expect(c.error?.code).toBe('CALL_TIMEOUT')
    expect(c.error?.errCode).toBe(ERROR_RPC_CALL_TIMEOUT)
    expect(c.response).toBeUndefined()
    release!()
    await vi.waitFor(() => expect(ch.strays.map((s) => s.kind)).toEqual(['late']))
    expect(ch.inFlight).toBe(0)
  })

  it('reports a response for an msg_id it never sent as unknown, and still answers the real call', async () => {
    const addr = await server((c) => {
      c.on('message', (f) => {
        c.send({msgId: 'stranger', methodName: f.methodName, pbData: new Uint8Array(0)})
        c.send({msgId: f.msgId, methodName: f.methodName, pbData: Buffer.from('mine')})
      })
    })
    const ch = await channelTo(addr)
    const c = controller('me')
    await ch.call(c, 'Order.makeOrder', new Uint8Array(0))
    expect(text(c)).toBe('mine')
    expect(ch.strays.map((s) => [s.kind, s.msgId])).toEqual([['unknown', 'stranger']])
  })

  it('reassembles a response split into two writes at every byte offset', async () => {
    let n = 0
    const addr = await rawServer((s) => {
      let pending = Buffer.alloc(0)
      s.on('data', (d) => {
        pending = Buffer.concat([pending, d])
        while (pending.length >= 5 && pending.length >= pending.readInt32BE(1)) {
          const msgId = pending.subarray(9, 9 + pending.readInt32BE(5)).toString()
          pending = pending.subarray(pending.readInt32BE(1))
          const reply = encodeFrame({msgId, methodName: 'A.b', pbData: Buffer.from(`r${msgId}`)})
          const cut = 1 + (n++ % (reply.length - 1))
          s.write(reply.subarray(0, cut))
          setImmediate(() => s.write(reply.subarray(cut)))
        }
      })
    })
    const ch = await channelTo(addr)
    const len = encodeFrame({msgId: '100', methodName: 'A.b', pbData: Buffer.from('r100')}).length
    for (let i = 100; i < 100 + len - 1; i++) {
      const c = controller(String(i))
      await ch.call(c, 'A.b', new Uint8Array(0))
      expect(text(c)).toBe(`r${i}`)
    }
    expect(ch.issues).toEqual([])
  })

  it('skips garbage before a good frame and reports it', async () => {
    const addr = await rawServer((s) =>
      s.on('data', () => s.write(Buffer.concat([Buffer.from('HTTP/1.1 400\r\n'), encodeFrame({msgId: 'g1', methodName: 'A.b', pbData: Buffer.from('ok')})]))),
    )
    const ch = await channelTo(addr)
    const c = controller('g1')
    await ch.call(c, 'A.b', new Uint8Array(0))
    expect(text(c)).toBe('ok')
    expect(ch.issues.map((i) => [i.code, i.skipped])).toEqual([['BAD_START', 14]])
  })

  it('fails a call with PEER_CLOSED when the peer closes mid-frame, naming how far it got', async () => {
    const reply = encodeFrame({msgId: 'm1', methodName: 'Order.makeOrder', pbData: Buffer.from('0123456789')})
    const addr = await rawServer((s) => s.on('data', () => s.end(reply.subarray(0, 20))))
    const ch = await channelTo(addr)
    const c = controller('m1')
    await ch.call(c, 'Order.makeOrder', new Uint8Array(0))
    expect(c.error?.code).toBe('PEER_CLOSED')
    expect(c.error?.errCode).toBe(ERROR_PEER_CLOSED)
    expect(c.error?.message).toContain('mid-frame')
    expect(c.error?.message).toContain(`pk_len ${reply.length}`)
    expect(ch.usable).toBe(false)
  })

  it('fails a call with PEER_CLOSED when the peer closes without answering, and every later call at once', async () => {
    const addr = await rawServer((s) => s.on('data', () => s.end()))
    const ch = await channelTo(addr)
    const c = controller('x1')
    await ch.call(c, 'Order.makeOrder', new Uint8Array(0))
    expect(c.error?.message).toBe('peer closed the connection without answering')
    const after = controller('x2')
    await ch.call(after, 'Order.makeOrder', new Uint8Array(0))
    expect(after.error?.code).toBe('PEER_CLOSED')
  })

  it('refuses a second call with an msg_id already in flight, and flags a reply naming another method', async () => {
    const addr = await server((c) => {
      c.on('message', (f) => setTimeout(() => c.send({msgId: f.msgId, methodName: 'Other.method', pbData: new Uint8Array(0)}), 20))
    })
    const ch = await channelTo(addr)
    const a = controller('same')
    const b = controller('same')
    await Promise.all([ch.call(a, 'Order.makeOrder', new Uint8Array(0)), ch.call(b, 'Order.makeOrder', new Uint8Array(0))])
    expect(b.error?.code).toBe('DUPLICATE_MSG_ID')
    expect(a.error).toBeUndefined()
    expect(a.methodMismatch).toBe('Other.method')
  })
})
