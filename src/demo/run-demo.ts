import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {RpcDiagError} from '../errors.js'
import {formatAddr, type NetAddr} from '../net/net-addr.js'
import {TcpClient} from '../net/tcp-client.js'
import {TinyPbCoder} from '../net/tinypb-coder.js'
import {type CallResult, runCall} from '../rpc/call.js'
import {prepareCall, type RequestBody} from '../rpc/call-prepare.js'
import {type LoadReport, runLoad} from '../rpc/load-test.js'
import {loadSchema, type ProtoSchema} from '../rpc/proto/index.js'
import {parseResponses} from '../rpc/responses.js'
import {type ServerHandle, startServer} from '../rpc/server.js'
import {type SocketsReport, socketsReport} from '../sockets/report.js'
import type {SocketRow} from '../sockets/types.js'
import {type DemoCapture, type DemoSniff, startDemoCapture} from './demo-capture.js'

export type {DemoCapture, DemoSniff} from './demo-capture.js'

export interface DemoOptions {
  /** The package root: examples/ lives there. */
  readonly root: string
  /** Call timeout for the unanswered call (default 500 ms). */
  readonly timeoutMs?: number
  /** The --repeat burst (default 200 calls, concurrency 4). */
  readonly repeat?: number
  readonly concurrency?: number
  /** Capture live on lo (default true). */
  readonly capture?: boolean
  /** Progress lines while the demo runs (stderr). */
  readonly progress?: (line: string) => void
}

export interface DemoCall {
  /** What it shows, in a few words. */
  readonly title: string
  /** The equivalent command line. */
  readonly command: string
  readonly result: CallResult
}

export interface DemoCleanup {
  readonly serverClosed: boolean
  readonly captureStopped: boolean
  /** Sockets on the demo port that a process (this one or another) still owns: must be none. */
  readonly leftover: readonly SocketRow[]
  /** TIME-WAIT entries the kernel keeps for 60 s after a client closes; no process owns them. */
  readonly timeWait: number
  readonly ok: boolean
}

export interface DemoResult {
  readonly server: {readonly address: NetAddr; readonly pid: number; readonly proto: string; readonly responses: string}
  readonly capture: DemoCapture
  readonly calls: readonly DemoCall[]
  readonly load: {readonly command: string; readonly report?: LoadReport; readonly error?: string}
  readonly sniff?: DemoSniff
  readonly sockets: SocketsReport
  readonly cleanup: DemoCleanup
  readonly durationMs: number
}

function demoFail(message: string, cause?: unknown): RpcDiagError {
  return new RpcDiagError('DEMO_FAILED', `demo: ${message}`, {cause})
}

function json(value: unknown): RequestBody {
  return {kind: 'json', value}
}

/**
 * The whole tool on an embedded default, in-process: the embedded server with
 * examples/order.proto on a free loopback port, a live capture of that port,
 * calls through the embedded client (good, error code, unanswered, a burst),
 * the sockets of the port, then everything closed and checked closed.
 * Throws RpcDiagError only when the demo cannot run at all (no loopback port).
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = performance.now()
  const say = opts.progress ?? (() => {})
  const timeoutMs = opts.timeoutMs ?? 500
  const protoPath = join(opts.root, 'examples', 'order.proto')
  const responsesPath = join(opts.root, 'examples', 'demo-responses.json')

  const loaded = loadSchema({protoFiles: [protoPath], importPaths: []})
  if (!loaded.ok) throw demoFail(`cannot load the bundled ${protoPath}: ${loaded.error.message}`, loaded.error)
  const schema: ProtoSchema = loaded.value
  const script = parseResponses(readFileSync(responsesPath, 'utf8'), schema, responsesPath)
  if (!script.ok) throw demoFail(script.error.message, script.error)

  const served = await startServer({host: '127.0.0.1', port: 0, schema, script: script.value})
  if (!served.ok) throw demoFail(served.error.message, served.error)
  const server: ServerHandle = served.value
  const addr = server.address
  const where = formatAddr(addr)
  say(`server listening on ${where}`)

  let serverClosed = false
  const capture = opts.capture === false ? undefined : await startDemoCapture(addr.port, schema)
  if (capture?.ok) say(`capturing on ${capture.info.description}`)
  try {
    if (capture !== undefined && !capture.ok) say(`no live capture: ${capture.reason}`)

    const calls: DemoCall[] = []
    const call = async (title: string, method: string, body: RequestBody, flags: string, useSchema = true) => {
      const prepared = prepareCall({method, schema: useSchema ? schema : undefined, body})
      if (!prepared.ok) throw demoFail(prepared.error.message, prepared.error)
      say(`call: ${title}`)
      const result = await runCall({addr, prepared: prepared.value, timeoutMs})
      calls.push({title, command: `rpcdiag call ${method} ${flags} --addr ${where}`, result})
    }
    const apple = {price: 100, goods: 'apple'}
    await call('a good call', 'Order.makeOrder', json(apple), `--json '${JSON.stringify(apple)}' --proto examples/order.proto`)
    // Not in order.proto, so sent without a schema: the server answers like tinyrpc, 10000009.
    await call('answered with an error code', 'Order.cancelOrder', {kind: 'bytes', bytes: Buffer.from('0801', 'hex')}, '--data-hex 0801', false)
    const pear = {price: 5, goods: 'pear'}
    await call(
      'left unanswered, like rocket when price < 10 (its handler never runs done)',
      'Order.makeOrder',
      json(pear),
      `--json '${JSON.stringify(pear)}' --proto examples/order.proto --timeout ${timeoutMs}`,
    )

    const repeat = opts.repeat ?? 200
    const concurrency = opts.concurrency ?? 4
    const loadCommand = `rpcdiag call Order.makeOrder --json '${JSON.stringify(apple)}' --proto examples/order.proto --repeat ${repeat} --concurrency ${concurrency} --addr ${where}`
    say(`burst: ${repeat} calls, ${concurrency} connections`)
    const prepared = prepareCall({method: 'Order.makeOrder', schema, body: json(apple)})
    if (!prepared.ok) throw demoFail(prepared.error.message, prepared.error)
    const loadRun = await runLoad({addr, prepared: prepared.value, repeat, concurrency, timeoutMs: Math.max(timeoutMs, 2000)})
    const load = loadRun.ok ? {command: loadCommand, report: loadRun.value} : {command: loadCommand, error: loadRun.error.message}

    say('sockets on the demo port')
    const sockets = await socketsSnapshot(addr)

    const sniff = capture?.ok ? await capture.finish(calls.length + repeat) : undefined
    await server.close(500)
    serverClosed = true

    const cleanup = await checkCleanup(addr.port, serverClosed, capture === undefined || !capture.ok || capture.stopped())
    const captureInfo: DemoCapture =
      capture === undefined ? {ok: false, reason: 'turned off (--no-capture)'} : capture.ok ? capture.info : {ok: false, reason: capture.reason}
    return {
      server: {address: addr, pid: process.pid, proto: 'examples/order.proto', responses: 'examples/demo-responses.json'},
      capture: captureInfo,
      calls,
      load,
      sniff,
      sockets,
      cleanup,
      durationMs: performance.now() - started,
    }
  } finally {
    if (capture?.ok) await capture.abort()
    if (!serverClosed) await server.close(100)
  }
}

/**
 * The sockets of the demo port with one idle client held open, so both ends of
 * an ESTABLISHED connection show with their process. Waits (up to a second) for
 * the server to finish closing the burst's connections, so the view is not a
 * passing CLOSE-WAIT caught between the client's FIN and the server's close.
 */
async function socketsSnapshot(addr: NetAddr): Promise<SocketsReport> {
  const idle = await new TcpClient(addr, {coder: () => new TinyPbCoder(), connectTimeoutMs: 1000}).connect()
  try {
    const opts = {filter: {ports: [{from: addr.port, to: addr.port}]}, tinypb: [addr.port]}
    const deadline = performance.now() + 1000
    for (;;) {
      const {report} = await socketsReport(opts)
      if (!report.sockets.some((s) => s.state === 'CLOSE-WAIT') || performance.now() > deadline) return report
      await new Promise((r) => setTimeout(r, 50))
    }
  } finally {
    if (idle.ok) idle.value.connection.destroy()
  }
}

/** Nothing on the demo port may still belong to a process; TIME-WAIT entries are the kernel's. */
async function checkCleanup(port: number, serverClosed: boolean, captureStopped: boolean): Promise<DemoCleanup> {
  const {report} = await socketsReport({filter: {ports: [{from: port, to: port}]}})
  const leftover = report.sockets.filter((s) => s.pid !== null || s.state === 'LISTEN')
  const timeWait = report.sockets.filter((s) => s.state === 'TIME-WAIT').length
  return {serverClosed, captureStopped, leftover, timeWait, ok: serverClosed && captureStopped && leftover.length === 0}
}
