// The whole sniff pipeline, wired once: what `sniff` and `demo` both run.
//
//   openCapture -> [-w PcapWriter] -> runCapture -> SniffSession -> output.event(e)
//                                                  ^ process attribution (live)
//
//   const run = await runSniff({capture: {interface: 'lo', ports: ['12345']}, output: () => ({event: (e) => events.push(e)})})
//   if (!run.ok) fail(run.error)
//   ...                                   // later: run.value.stop(), or the signal aborts, or the source ends
//   const outcome = await run.value.done  // summary, capture stats, notes; output.end() ran before it resolved

import {type CaptureOptions, type CaptureSource, type CaptureStats, type OpenedCapture, openCapture, PcapWriter} from '../capture/index.js'
import {LINKTYPE_ETHERNET} from '../../decoders/packet/index.js'
import {err, ok, type Result, type RpcDiagError} from '../errors.js'
import type {SniffEvent} from './events.js'
import {type ProcessAttribution, socketTableAttribution} from './processes/index.js'
import {runCapture, type RunResult, runNotes} from './run-capture.js'
import {type CaptureCounts, SniffSession, type SniffSessionOptions} from './session.js'
import type {SniffSummary} from './transactions/index.js'

/** What the output side sees of a running sniff, to build its printer. */
export interface SniffContext {
  readonly source: CaptureSource
  readonly session: SniffSession
  /** Live, with --processes: names the processes behind each flow. */
  readonly attribution: ProcessAttribution | undefined
  readonly live: boolean
}

/** Where the events go. */
export interface SniffOutput {
  event(e: SniffEvent): void
  /** After each batch of packets and each clock tick: flush, draw progress. */
  batch?(): void
  /** The capture ended and attribution settled: print what was held back. */
  end?(): void
  /**
   * undefined when the output takes more now; else a promise of when it will
   * (stdout into a slow pipe): the capture waits for it before the next batch,
   * so memory stays bounded. A file source then reads no further; a live one
   * fills the capture program's pipe and the kernel's ring, which drops (and counts).
   */
  ready?(): Promise<void> | undefined
}

export interface SniffOptions {
  /** Where packets come from (and the signal that stops the capture). */
  readonly capture: CaptureOptions
  /** The analysis: protocol, timeout, payload decoder, buffer limit... (serverPorts come from the capture filter). */
  readonly session?: Omit<SniffSessionOptions, 'serverPorts'>
  /** -w: also write every packet read, as read. */
  readonly write?: string
  /** -c: stop after this many packets. */
  readonly count?: number
  /** Name the processes behind live flows (default true). */
  readonly processes?: boolean
  /** Where those processes' sockets are listed: /proc/PID/net of a process in the captured namespace (--netns). */
  readonly netDir?: string
  /** Called once the capture is open, before the first packet. */
  readonly output: (ctx: SniffContext) => SniffOutput
}

export interface SniffOutcome {
  readonly summary: SniffSummary
  readonly stats: CaptureStats
  readonly run: RunResult
  /** What the capture itself did not show (undecodable packets, drops): lines for stderr. */
  readonly notes: readonly string[]
  /** The capture failed (a truncated file, the capture process dying) or -w failed. */
  readonly error?: RpcDiagError
}

export interface SniffRun extends OpenedCapture {
  readonly session: SniffSession
  readonly live: boolean
  /** Stop capturing: `done` resolves once what was captured is decoded. */
  stop(): Promise<void>
  /** A second Ctrl-C: close the -w file now (it is whole after every write). */
  closeWriter(): void
  readonly done: Promise<SniffOutcome>
}

/** Live captures tick the session's clock this often so timeouts fire with no packets. */
const LIVE_TICK_MS = 250

export async function runSniff(opts: SniffOptions): Promise<Result<SniffRun, RpcDiagError>> {
  // runCapture is done with each batch before it asks for the next: a file's read memory can be used again.
  const opened = await openCapture({...opts.capture, write: opts.write, reuseMemory: true})
  if (!opened.ok) return opened
  const {source, filter} = opened.value
  const live = source.kind !== 'file' && source.kind !== 'stdin'

  // A capture process writes -w itself (source.writesTo); else rpcdiag writes what it reads.
  let writer: PcapWriter | undefined
  if (opts.write !== undefined && source.writesTo === undefined) {
    const w = PcapWriter.open(opts.write, {linkType: source.linkType ?? LINKTYPE_ETHERNET, snaplen: opts.capture.snaplen})
    if (!w.ok) {
      await source.stop()
      return err(w.error)
    }
    writer = w.value
  }

  const attribution = live && (opts.processes ?? true) ? socketTableAttribution(filter.ports.length > 0 ? filter.ports : undefined, {netDir: opts.netDir}) : undefined
  attribution?.warm()
  let output: SniffOutput | undefined
  const session = new SniffSession((e) => output!.event(e), {...opts.session, serverPorts: filter.ports})
  output = opts.output({source, session, attribution, live})

  const done = (async (): Promise<SniffOutcome> => {
    const run = await runCapture({
      source,
      session,
      writer,
      count: opts.count,
      tickMs: live ? LIVE_TICK_MS : 0,
      onBatch: () => output.batch?.(),
      ready: () => output.ready?.(),
    })
    const stats = live ? await source.refreshStats() : source.stats()
    const counts: CaptureCounts = {
      packets: stats.packets,
      bytes: stats.bytes,
      drops: stats.kernelDrops,
      queueDrops: stats.queueDrops,
      truncated: stats.truncated,
      timestampSource: source.timestampSource,
    }
    const summary = session.finish(counts)
    await attribution?.idle()
    await attribution?.close()
    output.end?.()
    const closeError = writer?.close()
    const error = (run.end.reason === 'error' ? run.end.error : undefined) ?? run.writeError ?? closeError
    return {summary, stats, run, notes: runNotes(run, stats), error}
  })()

  return ok({
    ...opened.value,
    session,
    live,
    stop: () => source.stop(),
    closeWriter: () => void writer?.close(),
    done,
  })
}
