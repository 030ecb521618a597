import {spawn} from 'node:child_process'
import {connect as rawConnect, createServer, type Socket} from 'node:net'
import {once} from 'node:events'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {ERROR_FAILED_CONNECT, ERROR_PEER_CLOSED, encodeFrame, type TinyPbFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {
  type CloseInfo,
  type ConnectionState,
  type DecodeIssue,
  TcpClient,
  type TcpConnection,
  TcpServer,
  TimerQueue,
  TinyPbCoder,
} from '../../src/net/index.js'
import {MAKE_ORDER_REQUEST} from '../fixtures/tinypb-frames.js'
import {StringCoder} from './string-coder.js'

type Conn = TcpConnection<TinyPbFrame, TinyPbMessage>
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

/** A TinyPB echo server on our own TcpServer, on 127.0.0.1 port 0. */
async function echoServer(onConnection?: (c: Conn) => void) {
  const server = new TcpServer<TinyPbFrame, TinyPbMessage>({coder: () => new TinyPbCoder()})
  server.on('connection', (c) => {
    c.on('message', (f) => c.send({...f.toMessage(), errInfo: `echo ${f.methodName}`}))
    c.on('peer-end', () => c.shutdown())
    onConnection?.(c)
  })
  const addr = await server.listen('127.0.0.1', 0)
  if (!addr.ok) throw addr.error
  cleanups.push(() => server.close(100))
  return {server, addr: addr.value}
}

/** A raw net server for peers that misbehave on purpose. */
async function rawServer(onSocket: (s: Socket) => void) {
  const sockets = new Set<Socket>()
  const server = createServer({allowHalfOpen: true}, (s) => {
    sockets.add(s)
    s.on('error', () => {})
    onSocket(s)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as {port: number}).port
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r())
        for (const s of sockets) s.destroy()
      }),
  )
  return {host: '127.0.0.1', port}
}

function tinypbClient(addr: {host: string; port: number}, connectTimeoutMs = 2000) {
  return new TcpClient<TinyPbFrame, TinyPbMessage>(addr, {coder: () => new TinyPbCoder(), connectTimeoutMs})
}

async function connected(addr: {host: string; port: number}): Promise<Conn> {
  const r = await tinypbClient(addr).connect()
  if (!r.ok) throw r.error
  cleanups.push(() => r.value.connection.destroy())
  return r.value.connection
}

function collect(c: Conn) {
  const messages: TinyPbFrame[] = []
  const issues: DecodeIssue[] = []
  const states: ConnectionState[] = []
  c.on('message', (m) => messages.push(m))
  c.on('malformed', (i) => issues.push(i))
  c.on('state', (to) => states.push(to))
  const closed = once(c, 'close').then(([info]) => info as CloseInfo)
  return {messages, issues, states, closed}
}

async function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not reached')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('TcpServer and TcpClient over loopback', () => {
  it('exchanges frames and walks the state machine to Closed', async () => {
    const {addr} = await echoServer()
    const r = await tinypbClient(addr).connect()
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.connectMs).toBeGreaterThanOrEqual(0)
    const c = r.value.connection
    const got = collect(c)
    expect(c.state).toBe('Connected')
    c.send({msgId: '1', methodName: 'Order.makeOrder', pbData: Buffer.from('0864', 'hex')})
    c.send({msgId: '2', methodName: 'Order.other'})
    await until(() => got.messages.length === 2)
    expect(got.messages.map((m) => [m.msgId, m.errInfo])).toEqual([
      ['1', 'echo Order.makeOrder'],
      ['2', 'echo Order.other'],
    ])
    expect(got.messages[0].pbData.toString('hex')).toBe('0864')
    c.shutdown()
    const info = await got.closed
    expect(got.states).toEqual(['HalfClosing', 'Closed'])
    expect(info.error).toBeUndefined()
    expect(info.bytesOut).toBeGreaterThan(0)
    expect(c.firstByteAt).toBeDefined()
  })

  it('decodes many frames from one write and one frame written a byte at a time', async () => {
    const {addr} = await echoServer()
    const c = await connected(addr)
    const got = collect(c)
    const many = Buffer.concat(Array.from({length: 50}, (_, i) => encodeFrame({msgId: String(i), methodName: 'A.b'})))
    c.sendRaw(many)
    await until(() => got.messages.length === 50)
    for (const byte of MAKE_ORDER_REQUEST) {
      c.sendRaw(Buffer.from([byte]))
      await new Promise((r) => setImmediate(r))
    }
    await until(() => got.messages.length === 51)
    expect(got.messages[50].msgId).toBe('20000000000000000001')
    expect(got.issues).toEqual([])
  })

  it('a peer that sends garbage and then a good frame: the garbage is reported, the frame delivered', async () => {
    const addr = await rawServer((s) => s.end(Buffer.concat([Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), MAKE_ORDER_REQUEST])))
    const c = await connected(addr)
    const got = collect(c)
    await until(() => got.messages.length === 1)
    expect(got.issues).toMatchObject([{code: 'BAD_START', offset: 0, skipped: 28}])
    expect(got.messages[0].methodName).toBe('Order.makeOrder')
  })

  it('a peer that closes mid-frame: TRUNCATED, then peer-end and a close marked peerClosed', async () => {
    const addr = await rawServer((s) => s.end(MAKE_ORDER_REQUEST.subarray(0, 40)))
    const c = await connected(addr)
    const got = collect(c)
    let peerEnd = false
    c.on('peer-end', () => {
      peerEnd = true
      c.shutdown()
    })
    const info = await got.closed
    expect(peerEnd).toBe(true)
    expect(got.messages).toEqual([])
    expect(got.issues).toMatchObject([{code: 'TRUNCATED', offset: 0, skipped: 40}])
    expect(info.peerClosed).toBe(true)
  })

  it('a peer that resets: the close carries a PEER_RESET error with ERROR_PEER_CLOSED', async () => {
    const addr = await rawServer((s) => {
      s.write(MAKE_ORDER_REQUEST.subarray(0, 10))
      setTimeout(() => s.resetAndDestroy(), 20)
    })
    const c = await connected(addr)
    const got = collect(c)
    const info = await got.closed
    expect(info.error?.code).toBe('PEER_RESET')
    expect(info.error?.errCode).toBe(ERROR_PEER_CLOSED)
    expect(info.peerClosed).toBe(true)
  })

  it('a peer that never answers: the timer queue fires the call timeout', async () => {
    const addr = await rawServer(() => {}) // accepts, reads nothing back
    const c = await connected(addr)
    const timers = new TimerQueue()
    cleanups.push(() => timers.clear())
    const got = collect(c)
    c.send({msgId: '1', methodName: 'Order.makeOrder'})
    const started = performance.now()
    await new Promise<void>((resolve) => timers.add(100, resolve))
    expect(performance.now() - started).toBeGreaterThanOrEqual(99)
    expect(got.messages).toEqual([])
    expect(c.state).toBe('Connected')
  })

  it('connection refused is a value carrying ERROR_FAILED_CONNECT', async () => {
    const {server, addr} = await echoServer()
    await server.close(10)
    const r = await tinypbClient(addr).connect()
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('CONNECT_REFUSED')
    expect(r.error.errCode).toBe(ERROR_FAILED_CONNECT)
    expect(r.error.message).toContain(`127.0.0.1:${addr.port}`)
  })

  it('a connect that hangs (full accept queue) times out with ERROR_FAILED_CONNECT', async () => {
    // A listener with backlog 0 that never accepts: once its queue is full the
    // kernel drops further SYNs and connect() hangs.
    const py = spawn('python3', ['-c', 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)'])
    cleanups.push(() => py.kill())
    const [line] = (await once(py.stdout, 'data')) as [Buffer]
    const addr = {host: '127.0.0.1', port: Number(line.toString().trim())}
    const fillers: Socket[] = []
    cleanups.push(() => fillers.forEach((s) => s.destroy()))
    for (let i = 0; i < 3; i++) fillers.push(rawConnect(addr.port, addr.host).on('error', () => {}))
    await new Promise((r) => setTimeout(r, 100))
    const r = await tinypbClient(addr, 300).connect()
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('CONNECT_TIMEOUT')
    expect(r.error.errCode).toBe(ERROR_FAILED_CONNECT)
  })

  it('respects backpressure: send() says wait, drain says go, nothing is lost', async () => {
    let serverSide: Socket | undefined
    const received: Buffer[] = []
    const addr = await rawServer((s) => {
      serverSide = s
      s.pause() // do not read until told
      s.on('data', (d: Buffer) => received.push(d))
    })
    const r = await new TcpClient<Buffer, Uint8Array | string>(addr, {coder: () => new StringCoder(), highWaterMark: 64 * 1024}).connect()
    if (!r.ok) throw r.error
    const c = r.value.connection
    cleanups.push(() => c.destroy())
    const chunk = Buffer.alloc(256 * 1024, 'z')
    let sent = 0
    while (c.send(chunk)) sent++
    sent++
    expect(sent).toBeLessThan(200) // the kernel buffers filled and send() said stop
    const drained = once(c, 'drain')
    await until(() => serverSide !== undefined)
    serverSide!.resume()
    await drained
    c.shutdown()
    await until(() => received.reduce((n, b) => n + b.length, 0) === sent * chunk.length, 10_000)
  })

  it('what is sent in one turn goes out in one write, and a shutdown right after still sends it first', async () => {
    const received: Buffer[] = []
    let ended!: () => void
    const end = new Promise<void>((r) => (ended = r))
    const addr = await rawServer((s) => {
      s.on('data', (d: Buffer) => received.push(d))
      s.on('end', () => ended())
    })
    const c = await connected(addr)
    const write = vi.spyOn(c.socket, 'write')
    const frames = ['1', '2', '3'].map((msgId) => ({msgId, methodName: 'Order.makeOrder', pbData: Buffer.from('pb')}))
    for (const f of frames) c.send(f)
    expect(write).not.toHaveBeenCalled() // queued for the end of this turn
    await new Promise((r) => setImmediate(r))
    expect(write).toHaveBeenCalledTimes(1)
    c.send({msgId: '4', methodName: 'Order.makeOrder'})
    c.shutdown()
    await end
    expect(Buffer.concat(received)).toEqual(Buffer.concat([...frames, {msgId: '4', methodName: 'Order.makeOrder'}].map((f) => encodeFrame(f))))
    expect(write).toHaveBeenCalledTimes(2)
  })

  it('graceful server close half-closes clients after their replies are written', async () => {
    const {server, addr} = await echoServer()
    const c = await connected(addr)
    const got = collect(c)
    let peerEnd = false
    c.on('peer-end', () => {
      peerEnd = true
      c.shutdown()
    })
    c.send({msgId: '7', methodName: 'A.b'})
    await until(() => got.messages.length === 1)
    expect(server.connections.size).toBe(1)
    await server.close(1000)
    await got.closed
    expect(peerEnd).toBe(true)
    expect(server.connections.size).toBe(0)
  })

  it('a listen on a busy port is a LISTEN_FAILED value', async () => {
    const {addr} = await echoServer()
    const other = new TcpServer({coder: () => new TinyPbCoder()})
    const r = await other.listen('127.0.0.1', addr.port)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.message).toContain('address already in use')
  })
})
