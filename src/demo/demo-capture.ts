import type {CaptureKind} from '../capture/index.js'
import type {ProtoSchema} from '../rpc/proto/index.js'
import {runSniff, SchemaPayloadDecoder, type SniffEvent, type SniffSummary} from '../sniff/index.js'
import type {LogHistogram} from '../stats/log-histogram.js'

export type DemoCapture =
  | {readonly ok: true; readonly kind: CaptureKind; readonly description: string; readonly filter: string; readonly notice?: string}
  | {readonly ok: false; readonly reason: string}

export interface DemoSniff {
  readonly events: readonly SniffEvent[]
  readonly summary: SniffSummary
  /** Every paired call's response time, bucketed (percentiles within 1%). */
  readonly latencies: LogHistogram
  /** Epoch second the event times count from. */
  readonly baseSec: number | undefined
}

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
 * A live capture of one port on lo, through the same pipeline as `sniff`
 * (runSniff), events kept for the demo to print. When live capture is
 * impossible (no privilege, neither cap nor tcpdump) the handle says why in
 * one line.
 */
export async function startDemoCapture(port: number, schema: ProtoSchema): Promise<DemoCaptureHandle> {
  const events: SniffEvent[] = []
  const started = await runSniff({
    capture: {interface: 'lo', ports: [port]},
    session: {payloads: new SchemaPayloadDecoder(schema)},
    processes: false,
    output: () => ({event: (e) => events.push(e)}),
  })
  if (!started.ok) return {ok: false, reason: started.error.message}
  const run = started.value
  let stopped = false
  const stop = async () => {
    await run.stop()
    await run.done
    stopped = true
  }
  return {
    ok: true,
    info: {ok: true, kind: run.source.kind, description: run.source.description, filter: run.filter.expression, notice: run.notice},
    async finish(requests = 0) {
      const deadline = performance.now() + SETTLE_MS
      while (run.session.stats.counters.requests < requests && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      await stop()
      const {summary} = await run.done
      return {events, summary, latencies: run.session.stats.latencyHistogram(), baseSec: run.session.baseSec}
    },
    abort: stop,
    stopped: () => stopped,
  }
}
