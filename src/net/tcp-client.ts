import {connect as netConnect} from 'node:net'

import {ERROR_FAILED_CONNECT} from '../../decoders/tinypb/error-codes.js'
import {err, NetError, ok, type Result} from '../errors.js'
import {type Clock, systemClock} from './clock.js'
import type {Coder} from './coder.js'
import {DEFAULT_TIMEOUT_MS, type Deadline, deadlineIn, earlier, remainingMs} from './deadline.js'
import {formatAddr, type NetAddr} from './net-addr.js'
import {type ConnectionOptions, TcpConnection} from './tcp-connection.js'

export interface ClientOptions<In, Out> extends ConnectionOptions {
  /** A fresh coder for each connection. */
  coder: () => Coder<In, Out>
  /** Give up connecting after this many ms (default DEFAULT_TIMEOUT_MS); a call's earlier deadline wins. */
  connectTimeoutMs?: number
  clock?: Clock
}

export interface Connected<In, Out> {
  readonly connection: TcpConnection<In, Out>
  /** ms from connect() to the handshake's end. */
  readonly connectMs: number
  /** Clock time when connect() began. */
  readonly startedAt: number
}

/**
 * Opens connections to one peer. Failures are values carrying rocket's codes:
 * refused and timed out are ERROR_FAILED_CONNECT (10000001).
 */
export class TcpClient<In, Out> {
  private readonly clock: Clock

  constructor(
    readonly peer: NetAddr,
    private readonly opts: ClientOptions<In, Out>,
  ) {
    this.clock = opts.clock ?? systemClock
  }

  /**
   * Open one connection. `within`: the deadline of the call this connection is
   * for; the handshake waits for the earlier of it and connectTimeoutMs.
   */
  connect(within?: Deadline): Promise<Result<Connected<In, Out>, NetError>> {
    const startedAt = this.clock.now()
    const deadline = earlier(deadlineIn(this.clock, this.opts.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS), within)
    const timeoutMs = remainingMs(deadline, this.clock)
    const where = formatAddr(this.peer)
    return new Promise((resolve) => {
      const socket = netConnect({host: this.peer.host, port: this.peer.port, allowHalfOpen: true})
      const timer = setTimeout(() => {
        socket.destroy()
        resolve(err(new NetError('CONNECT_TIMEOUT', `connect to ${where} timed out after ${deadline.budgetMs} ms`, {errCode: ERROR_FAILED_CONNECT})))
      }, timeoutMs).unref()
      const onError = (e: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        const code = e.code === 'ECONNREFUSED' ? 'CONNECT_REFUSED' : 'CONNECT_FAILED'
        const why = e.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there?)' : e.message
        resolve(err(new NetError(code, `connect to ${where} failed: ${why}`, {cause: e, errCode: ERROR_FAILED_CONNECT})))
      }
      socket.once('error', onError)
      // Attach the connection before 'connect' so it sees the state change.
      const connection = new TcpConnection<In, Out>(socket, this.opts.coder(), {...this.opts, clock: this.clock})
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.off('error', onError)
        resolve(ok({connection, connectMs: this.clock.now() - startedAt, startedAt}))
      })
    })
  }
}
