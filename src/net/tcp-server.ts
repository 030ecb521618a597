import {EventEmitter, once} from 'node:events'
import {createServer, type Server, type Socket} from 'node:net'

import {err, NetError, ok, type Result} from '../errors.js'
import type {Coder} from './coder.js'
import type {NetAddr} from './net-addr.js'
import {type ConnectionOptions, TcpConnection} from './tcp-connection.js'

export interface ServerOptions<In, Out> extends ConnectionOptions {
  /** A fresh coder for each accepted connection. */
  coder: () => Coder<In, Out>
  /** Past this many open connections a new one is closed at once and reported as 'drop'. */
  maxConnections?: number
}

export interface ServerEvents<In, Out> {
  connection: [TcpConnection<In, Out>]
  /** A client closed at accept because maxConnections were open. */
  drop: [remote: NetAddr]
  error: [NetError]
}

/** Listens, accepts, gives each connection its own coder, closes gracefully. */
export class TcpServer<In, Out> extends EventEmitter<ServerEvents<In, Out>> {
  private readonly server: Server
  private readonly live = new Set<TcpConnection<In, Out>>()

  constructor(private readonly opts: ServerOptions<In, Out>) {
    super()
    this.server = createServer({allowHalfOpen: true}, (socket) => this.accept(socket))
    if (opts.maxConnections !== undefined) {
      this.server.maxConnections = opts.maxConnections
      this.server.on('drop', (d) => this.emit('drop', {host: d?.remoteAddress ?? '', port: d?.remotePort ?? 0}))
    }
  }

  get connections(): ReadonlySet<TcpConnection<In, Out>> {
    return this.live
  }

  get address(): NetAddr | undefined {
    const a = this.server.address()
    return a && typeof a === 'object' ? {host: a.address, port: a.port} : undefined
  }

  /** Listen on host:port (port 0 picks a free one). */
  listen(host: string, port: number): Promise<Result<NetAddr, NetError>> {
    return new Promise((resolve) => {
      const onError = (e: NodeJS.ErrnoException) => {
        const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message
        resolve(err(new NetError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${why}`, {cause: e})))
      }
      this.server.once('error', onError)
      this.server.listen(port, host, () => {
        this.server.off('error', onError)
        // Errors after listening (rare: EMFILE on accept) go to whoever listens for them.
        this.server.on('error', (e) => {
          if (this.listenerCount('error') > 0) this.emit('error', new NetError('SERVER_ERROR', e.message, {cause: e}))
        })
        resolve(ok(this.address!))
      })
    })
  }

  /**
   * Stop accepting, half-close every connection once its replies are written,
   * and destroy what is still open after graceMs.
   */
  async close(graceMs = 1000): Promise<void> {
    const listening = new Promise<void>((resolve) => {
      if (this.server.listening) this.server.close(() => resolve())
      else resolve()
    })
    const conns = [...this.live].map((c) => (c.state === 'Closed' ? undefined : once(c, 'close')))
    for (const c of this.live) c.shutdown()
    const timer = setTimeout(() => {
      for (const c of this.live) c.destroy()
    }, graceMs).unref()
    try {
      await Promise.all([listening, ...conns])
    } finally {
      clearTimeout(timer)
    }
  }

  private accept(socket: Socket): void {
    const connection = new TcpConnection<In, Out>(socket, this.opts.coder(), this.opts)
    this.live.add(connection)
    connection.on('close', () => this.live.delete(connection))
    this.emit('connection', connection)
  }
}
