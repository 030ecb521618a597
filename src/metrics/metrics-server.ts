// The HTTP side of --metrics [HOST:]PORT: GET /metrics answers with the
// exposition text, as every Prometheus exporter does. node:http is enough for
// one path; prom-client makes the text.

import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {err, ok, type Result, RpcDiagError, type UsageError} from '../errors.js'
import {type NetAddr, parseAddr} from '../net/index.js'

export interface MetricsServerOptions {
  readonly address: NetAddr
  /** The exposition text (SniffMetrics.text). */
  readonly text: () => Promise<string>
  readonly contentType: string
}

export interface MetricsServer {
  /** Where it listens (the port chosen when 0 was asked for). */
  readonly address: NetAddr
  /** http://HOST:PORT/metrics */
  readonly url: string
  /** Scrapes answered. */
  readonly scrapes: number
  close(): Promise<void>
}

/** Metrics are served on loopback unless a host is given: exposing them is a choice (0.0.0.0:9464). */
export const DEFAULT_METRICS_HOST = '127.0.0.1'

/** --metrics: "9464", "0.0.0.0:9464", "[::]:9464", "127.0.0.1:0" (0: any free port). */
export function parseMetricsAddress(text: string): Result<NetAddr, UsageError> {
  return parseAddr(text, DEFAULT_METRICS_HOST, {allowZero: true})
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<Result<MetricsServer, RpcDiagError>> {
  let scrapes = 0
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {allow: 'GET, HEAD'}).end()
      return
    }
    if (path === '/') {
      res.writeHead(200, {'content-type': 'text/html; charset=utf-8'}).end('<html><body><a href="/metrics">TinyPB metrics (rpcdiag sniff)</a></body></html>\n')
      return
    }
    if (path !== '/metrics') {
      res.writeHead(404, {'content-type': 'text/plain'}).end('not found: try /metrics\n')
      return
    }
    scrapes++
    opts.text().then(
      (body) => res.writeHead(200, {'content-type': opts.contentType}).end(req.method === 'HEAD' ? undefined : body),
      (e: Error) => res.writeHead(500, {'content-type': 'text/plain'}).end(`collecting metrics failed: ${e.message}\n`),
    )
  })
  // Scrapes are short: do not let an idle keep-alive connection hold the process at exit.
  server.keepAliveTimeout = 5000
  const listening = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    server.once('error', resolve)
    server.listen(opts.address.port, opts.address.host, () => resolve(undefined))
  })
  const where = `${opts.address.host}:${opts.address.port}`
  if (listening !== undefined) {
    const why = listening.code === 'EADDRINUSE' ? 'the address is in use' : listening.code === 'EACCES' ? 'permission denied (ports below 1024 need root)' : listening.code === 'EADDRNOTAVAIL' ? 'no interface has that address' : listening.message
    return err(new RpcDiagError('METRICS_LISTEN_FAILED', `cannot serve metrics on ${where}: ${why}`, {cause: listening}))
  }
  server.unref()
  const a = server.address() as AddressInfo
  const address = {host: opts.address.host, port: a.port}
  const hostText = address.host.includes(':') ? `[${address.host}]` : address.host
  return ok({
    address,
    url: `http://${hostText}:${address.port}/metrics`,
    get scrapes() {
      return scrapes
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  })
}
