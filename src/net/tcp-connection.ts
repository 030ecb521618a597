import {EventEmitter} from 'node:events'
import type {Socket} from 'node:net'

import {NetError} from '../errors.js'
import {type Clock, systemClock} from './clock.js'
import {type Coder, type DecodeIssue, isIssue} from './coder.js'
import type {NetAddr} from './net-addr.js'
import {TcpBuffer} from './tcp-buffer.js'
import {ERROR_PEER_CLOSED} from '../../decoders/tinypb/error-codes.js'

/** rocket's TcpState, minus the C++ fd bookkeeping. */
export type ConnectionState = 'NotConnected' | 'Connected' | 'HalfClosing' | 'Closed'

export interface CloseInfo {
  /** Why the connection ended, when it was not our own orderly close. */
  readonly error?: NetError
  /** The peer sent FIN (or RST) before we closed our side. */
  readonly peerClosed: boolean
  readonly bytesIn: number
  readonly bytesOut: number
}

export interface ConnectionEvents<In> {
  message: [In]
  malformed: [DecodeIssue]
  state: [to: ConnectionState, from: ConnectionState]
  /** The peer's FIN arrived; we may still write. */
  'peer-end': []
  /** The out buffer was written to the kernel after backpressure. */
  drain: []
  close: [CloseInfo]
}

export interface ConnectionOptions {
  /** send() returns false once this many bytes wait in the out buffer. */
  highWaterMark?: number
  clock?: Clock
}

/**
 * First size of the out buffer. Under 4 KiB, Buffer.allocUnsafe slices node's
 * shared pool instead of allocating: a connection per call made one 64 KiB
 * buffer per call for a 70-byte frame. It grows for larger frames.
 */
const OUT_CAPACITY = 2048

/**
 * One TCP connection with an in buffer, an out buffer and a coder. net.Socket is
 * the reactor's channel; this adds the framing, the state machine and typed events.
 *
 * Messages sent in one turn of the event loop go out in one write: the out
 * buffer is flushed once, after the code that sent them has run (the replies
 * of one read answered by pipelined calls, a server's answers to pipelined
 * requests), as Node's own HTTP client corks a socket until the next tick.
 */
export class TcpConnection<In, Out> extends EventEmitter<ConnectionEvents<In>> {
  readonly in = new TcpBuffer()
  readonly out = new TcpBuffer(OUT_CAPACITY)
  private st: ConnectionState
  private readonly decoded: Array<In | DecodeIssue> = []
  private readonly highWaterMark: number
  private readonly clock: Clock
  private waitingDrain = false
  private flushQueued = false
  private localAddr: NetAddr | undefined
  private remoteAddr: NetAddr | undefined
  private weShutdown = false
  private peerEnded = false
  private failure: NetError | undefined
  private bytesIn = 0
  private bytesOut = 0
  /** Clock time of the first byte received, if any. */
  firstByteAt: number | undefined
  /** Clock time of the last byte received, if any. */
  lastByteAt: number | undefined

  constructor(
    readonly socket: Socket,
    private readonly coder: Coder<In, Out>,
    opts: ConnectionOptions = {},
  ) {
    super()
    this.highWaterMark = opts.highWaterMark ?? 1024 * 1024
    this.clock = opts.clock ?? systemClock
    this.st = socket.connecting || socket.readyState === 'closed' ? 'NotConnected' : 'Connected'
    socket.setNoDelay(true)
    socket.on('connect', () => this.setState('Connected'))
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('end', () => this.onEnd())
    socket.on('drain', () => this.onDrain())
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.failure ??= new NetError(e.code === 'ECONNRESET' ? 'PEER_RESET' : 'SOCKET_ERROR', `connection error: ${e.message}`, {
        cause: e,
        errCode: ERROR_PEER_CLOSED,
      })
    })
    socket.on('close', () => this.onClose())
  }

  get state(): ConnectionState {
    return this.st
  }

  /** Our address (a system call the first time, then kept). */
  get local(): NetAddr {
    this.localAddr ??= {host: this.socket.localAddress ?? '', port: this.socket.localPort ?? 0}
    return this.localAddr
  }

  /** The peer's address (a system call the first time, then kept). */
  get remote(): NetAddr {
    this.remoteAddr ??= {host: this.socket.remoteAddress ?? '', port: this.socket.remotePort ?? 0}
    return this.remoteAddr
  }

  /** Malformed input the coder is still skipping (reported as 'malformed' once it ends). */
  get pendingIssue(): DecodeIssue | undefined {
    return this.coder.pending?.()
  }

  /** Encode msg and queue it for this turn's write. Returns false when the caller should wait for 'drain'. */
  send(msg: Out): boolean {
    if (this.st === 'Closed' || this.weShutdown) return false
    this.coder.encode(msg, this.out)
    return this.queueFlush()
  }

  /** Write bytes as they are, outside the coder (fault injection, garbage tests). */
  sendRaw(bytes: Uint8Array): boolean {
    if (this.st === 'Closed' || this.weShutdown) return false
    this.out.ensureWritable(bytes.length)
    this.out.buffer.set(bytes, this.out.writeIndex)
    this.out.commit(bytes.length)
    return this.queueFlush()
  }

  /** Half-close: write what is queued, then send FIN. Reading goes on until the peer closes. */
  shutdown(): void {
    if (this.weShutdown || this.st === 'Closed') return
    this.weShutdown = true
    if (this.st === 'Connected') this.setState('HalfClosing')
    if (this.out.readable > 0) this.flush()
    if (!this.waitingDrain) this.socket.end()
  }

  /** Close at once, dropping anything unsent. */
  destroy(error?: NetError): void {
    if (error) this.failure ??= error
    this.socket.destroy()
  }

  /**
   * Write at the end of this turn; at once when highWaterMark bytes wait.
   * False, as socket.write() says it, only while a 'drain' is to come.
   */
  private queueFlush(): boolean {
    if (this.waitingDrain) return this.out.readable < this.highWaterMark
    if (this.out.readable >= this.highWaterMark) {
      this.flush()
      return !this.waitingDrain
    }
    if (!this.flushQueued) {
      this.flushQueued = true
      process.nextTick(this.flushQueuedBytes)
    }
    return true
  }

  private readonly flushQueuedBytes = (): void => {
    this.flushQueued = false
    if (this.out.readable > 0 && !this.socket.destroyed) this.flush()
  }

  /** Hand the out buffer to the socket, unless it still waits for 'drain'. */
  private flush(): void {
    if (this.waitingDrain) return
    const bytes = this.out.take()
    this.bytesOut += bytes.length
    if (!this.socket.write(bytes)) this.waitingDrain = true
  }

  private onDrain(): void {
    this.waitingDrain = false
    if (this.out.readable > 0) this.flush()
    if (this.waitingDrain) return
    if (this.weShutdown) this.socket.end()
    this.emit('drain')
  }

  private onData(chunk: Buffer): void {
    const now = this.clock.now()
    this.firstByteAt ??= now
    this.lastByteAt = now
    this.bytesIn += chunk.length
    this.in.append(chunk)
    this.coder.decode(this.in, this.decoded)
    this.dispatch()
  }

  private onEnd(): void {
    this.peerEnded = true
    this.coder.finish(this.in, this.decoded)
    this.dispatch()
    if (this.st === 'Connected') this.setState('HalfClosing')
    this.emit('peer-end')
  }

  private dispatch(): void {
    const events = this.decoded
    for (let i = 0; i < events.length; i++) {
      const e = events[i]
      if (isIssue(e)) this.emit('malformed', e)
      else this.emit('message', e)
      // A handler may destroy the connection; stop delivering to a dead one.
      if (this.socket.destroyed) break
    }
    events.length = 0
  }

  private onClose(): void {
    const peerClosed = this.peerEnded || (this.failure !== undefined && !this.weShutdown)
    this.setState('Closed')
    this.emit('close', {error: this.failure, peerClosed, bytesIn: this.bytesIn, bytesOut: this.bytesOut})
    // After the listeners have looked: a closed connection may stay referenced for a while, its buffers need not.
    this.in.release()
    this.out.release()
  }

  private setState(to: ConnectionState): void {
    const from = this.st
    if (from === to) return
    this.st = to
    this.emit('state', to, from)
  }
}
