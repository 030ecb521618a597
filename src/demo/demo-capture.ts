import {openCapture} from '../capture/open-capture.js'
import {runCapture, type RunResult, SchemaPayloadDecoder, type SniffEvent, SniffSession} from '../sniff/index.js'
import type {ProtoSchema} from '../rpc/proto/index.js'
import type {DemoCapture, DemoSniff} from './run-demo.js'

export type DemoCaptureHandle =
  | {
      readonly ok: true
      readonly info: Extract<DemoCapture, {ok: true}>
      /** Wait until the capture has seen `requests` requests (or a short while), stop it, settle the session. */
      finish(requests?: number): Promise<DemoSniff>
      /** Stop without waiting (on failure paths). */
      abort(): Promise<void>
      stopped(): boolean
    }
  | {readonly ok: false; readonly reason: string}

/** How long finish() waits for the last packets: tcpdump delivers in blocks, up to a second late. */
const SETTLE_MS = 2000

/**
 * A live capture of one port on lo, through the same pipeline as `sniff`:
 * openCapture -> runCapture -> SniffSession, events kept for the demo to print.
 * When live capture is impossible (no privilege, neither cap nor tcpdump) the
 * handle says why in one line.
 */
export async function startDemoCapture(port: number, schema: ProtoSchema): Promise<DemoCaptureHandle> {
  const opened = await openCapture({interface: 'lo', ports: [port]})
  if (!opened.ok) return {ok: false, reason: opened.error.message}
  const {source, filter, notice} = opened.value
  const events: SniffEvent[] = []
  const session = new SniffSession((e) => events.push(e), {serverPorts: [port], payloads: new SchemaPayloadDecoder(schema)})
  const running: Promise<RunResult> = runCapture({source, session, tickMs: 250})
  let stopped = false
  const stop = async () => {
    await source.stop()
    await running
    stopped = true
  }
  return {
    ok: true,
    info: {ok: true, kind: source.kind, description: source.description, filter: filter.expression, notice},
    async finish(requests = 0) {
      const deadline = performance.now() + SETTLE_MS
      while (session.stats.counters.requests < requests && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      await stop()
      const stats = await source.refreshStats()
      const summary = session.finish({packets: stats.packets, bytes: stats.bytes, drops: stats.kernelDrops})
      return {events, summary, latencies: session.stats.latencyHistogram(), baseSec: session.baseSec}
    },
    abort: stop,
    stopped: () => stopped,
  }
}
