// Runs a capture source through a sniff session: packets are decoded down to
// TCP, written to --write as they were captured, and fed to the session; a
// live capture's clock ticks while no packet comes so timeouts still fire.
//
// The whole of `sniff` without the command (what `demo` needs):
//
//   const opened = await openCapture({interface: 'lo', ports: [12345]})       // ./index.js
//   if (!opened.ok) throw opened.error
//   const events: SniffEvent[] = []
//   const session = new SniffSession((e) => events.push(e), {serverPorts: [12345]})
//   await runCapture({source: opened.value.source, session, tickMs: 250})   // until source.stop()
//   const summary = session.finish()
//   // render: src/render/sniff/index.js: SniffHumanRenderer(e) lines, renderSniffSummary(summary),
//   // renderSniffHistogram(session.stats.latencyHistogram()); CaptureTimeFormat(() => session.baseSec) for times.

import {type CapturedPacket, decodeCapturedPacketReusing, type PacketError, SegmentSlot} from '../../decoders/packet/index.js'
import {type RpcDiagError} from '../errors.js'
import type {CaptureEnd, CaptureSource, CaptureStats} from '../capture/capture-source.js'
import type {PcapWriter} from '../capture/pcap-writer.js'
import {type Clock, systemClock} from '../net/index.js'
import {DeliveryLag, deliveryFloorMs} from './delivery-lag.js'
import type {SniffSession} from './session.js'

export interface RunCaptureOptions {
  readonly source: CaptureSource
  readonly session: SniffSession
  /** -w: every packet read, as it was read. */
  readonly writer?: PcapWriter
  /** -c: stop after this many packets. */
  readonly count?: number
  /** After each batch and each clock tick: flush output, draw progress. */
  readonly onBatch?: () => void
  /** After each batch: a promise when the output is full, awaited before the next batch is read (backpressure). */
  readonly ready?: () => Promise<void> | undefined
  /** Live captures: advance the session's clock this often with no packets (default 250 ms; 0 for files). */
  readonly tickMs?: number
  /** The ticks read its epoch time. */
  readonly clock?: Clock
}

export interface RunResult {
  /** Packets read from the source (at most --count). */
  readonly packets: number
  /** Packets that were not TCP (or not IP), and IP fragments (not reassembled). */
  readonly notTcp: number
  readonly fragments: number
  /** Packets that could not be decoded, and the first such error. */
  readonly undecodable: number
  readonly firstError?: PacketError
  readonly end: CaptureEnd
  /** --write failed (disk full...): the capture went on without it. */
  readonly writeError?: RpcDiagError
}

export async function runCapture(opts: RunCaptureOptions): Promise<RunResult> {
  const {source, session, writer} = opts
  const count = opts.count ?? Infinity
  const clock = opts.clock ?? systemClock
  let packets = 0
  let notTcp = 0
  let fragments = 0
  let undecodable = 0
  let firstError: PacketError | undefined
  let writeError: RpcDiagError | undefined
  const tickMs = opts.tickMs ?? 0
  const lag = new DeliveryLag(deliveryFloorMs(source.kind))
  const slot = new SegmentSlot()
  const timer =
    tickMs > 0
      ? setInterval(() => {
          const ms = lag.tickTime(clock.epochMs())
          session.tick(Math.floor(ms / 1000), (ms % 1000) * 1e6)
          noteDrops(source, session)
          opts.onBatch?.()
        }, tickMs)
      : undefined
  try {
    for await (const whole of source.batches()) {
      const batch = packets + whole.length > count ? whole.slice(0, count - packets) : whole
      if (writer !== undefined && writeError === undefined) writeError = writer.writeMany(batch)
      const last = batch.at(-1)
      for (let i = 0; i < batch.length; i++) {
        // The session is done with a segment when push returns: one result and segment serve every packet.
        const r = decodeCapturedPacketReusing(batch[i], slot)
        // And with the packet: let it go now, or a scavenge in the middle of a batch (a thousand
        // packets from a file) copies the packets already done along with those still to come.
        ;(batch as Array<CapturedPacket | undefined>)[i] = undefined
        if (r.kind === 'tcp') session.push(r.segment)
        else if (r.kind === 'skip') {
          if (r.reason === 'IP_FRAGMENT') fragments++
          else notTcp++
        } else {
          undecodable++
          firstError ??= r
        }
      }
      packets += batch.length
      if (tickMs > 0 && last !== undefined) {
        lag.observe(clock.epochMs(), last.tsSec * 1000 + last.tsNsec / 1e6)
      }
      noteDrops(source, session)
      opts.onBatch?.()
      const full = opts.ready?.()
      if (full !== undefined) await full
      if (packets >= count) {
        await source.stop()
        break
      }
    }
  } finally {
    if (timer !== undefined) clearInterval(timer)
  }
  return {packets, notTcp, fragments, undecodable, firstError, end: source.end ?? {reason: 'stopped'}, writeError}
}

/**
 * Packets the source says it dropped so far (the kernel's, and its own queue's):
 * what waits for a reply then may have lost it. Sources that learn their counts
 * only at the end (a file's closing statistics block) tell at finish.
 */
function noteDrops(source: CaptureSource, session: SniffSession): void {
  const s = source.stats()
  session.drops((s.kernelDrops ?? 0) + s.queueDrops)
}

/** What the capture itself did not show: lines for stderr after a run. */
export function runNotes(r: RunResult, stats: CaptureStats): string[] {
  const notes: string[] = []
  if (r.undecodable > 0) notes.push(`${r.undecodable} packet(s) could not be decoded (first: ${r.firstError!.message} [${r.firstError!.code}])`)
  if (r.fragments > 0) notes.push(`${r.fragments} IP fragment(s) skipped: rpcdiag does not reassemble IP fragments`)
  if (stats.queueDrops > 0) notes.push(`${stats.queueDrops} packet(s) dropped because decoding fell behind the capture: narrow it with --port/--host`)
  if (stats.kernelDrops !== undefined && stats.kernelDrops > 0) {
    notes.push(`${stats.kernelDrops} packet(s) dropped by the kernel: the capture buffer overflowed; expect gaps`)
  }
  return notes
}
