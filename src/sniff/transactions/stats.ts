// Counters of a sniff session and per-method latency, summarised like
// tshark -z rpc,srt: calls, answered, errors and response-time percentiles.

import type {TimestampSource} from '../../capture/index.js'
import {LogHistogram, roundMs} from '../../stats/index.js'
import type {UncertainReason} from '../events.js'

/**
 * Per-method numbers in the summary. Latencies in ms (3 decimals), null when nothing was answered.
 * count, min, mean and max are exact; the percentiles come from a log histogram and are within 1%
 * of the exact nearest-rank values (a capture may run for hours: no sample list is kept).
 */
export interface MethodSummary {
  /** Requests seen. */
  count: number
  answered: number
  unanswered: number
  /** Requests whose fate the capture cannot tell (see SniffSummary.uncertain). */
  uncertain: number
  /** Responses with err_code != 0. */
  errors: number
  min: number | null
  mean: number | null
  p50: number | null
  p90: number | null
  p99: number | null
  max: number | null
}

export interface SniffSummary {
  type: 'summary'
  requests: number
  responses: number
  paired: number
  unanswered: number
  /**
   * Calls whose fate the capture cannot tell, reported as `uncertain` events
   * instead of unanswered requests or replies without request: the capture lost
   * or cut bytes they depend on, dropped packets, or saw their bytes twice with
   * different data. By reason in uncertainBy.
   */
  uncertain: number
  uncertainBy: Record<UncertainReason, number>
  duplicateResponses: number
  orphanResponses: number
  errorResponses: number
  malformedFrames: number
  connections: number
  /** Garbage bytes the decoder skipped to find the next frame (mid-stream starts and gaps included), and malformed frames. */
  skippedBytes: number
  /** Payload bytes in decoded TinyPB frames, and in string-protocol chunks. */
  decodedBytes: number
  /** Payload bytes of frames a gap cut: captured, but their frame could not be completed. */
  gapDroppedBytes: number
  /** Retransmissions (or overlapping copies) that carried different bytes than the first copy. */
  retransmissionConflicts: number
  duplicateMsgIds: number
  peerSafetyFindings: number
  /** Connections the server left open after the client's FIN (CLOSE_WAIT on the server). */
  serverNoFin: number
  /** Payloads that did not decode as their type (or as protobuf at all). */
  payloadErrors: number
  /** String protocol: payload chunks seen. */
  chunks: number
  gaps: number
  /** Bytes the capture never had (lost segments, and the part of truncated packets it did not keep). */
  gapBytes: number
  /** Times a connection's held out-of-order bytes passed --buffer-limit. */
  limitHits: number
  /**
   * Times the bytes held across connections (partial frames, out-of-order data)
   * passed --max-buffered and the connection holding most gave them up: its
   * partial frames count in gapDroppedBytes, its holes in gaps.
   */
  budgetHits: number
  /** TCP segments handled, and their captured payload bytes. */
  packets: number
  /**
   * Captured payload bytes. Every one is counted once below:
   * bytes = decodedBytes + skippedBytes + gapDroppedBytes + retransmittedBytes + unattributedBytes.
   */
  bytes: number
  /** Payload bytes that repeated bytes already seen (retransmissions, overlapping segments). */
  retransmittedBytes: number
  /** Payload bytes on no connection: stragglers of a closed connection, data after a direction's FIN or RST. */
  unattributedBytes: number
  /** TCP segments the capture kept only part of (snap length shorter than the packet). */
  truncatedSegments: number
  /**
   * Connections whose SYN the server answered with a challenge ACK: it still
   * held an older connection on the same ports (rocket's CLOSE_WAIT sockets).
   */
  staleSockets: number
  retransmits: number
  outOfOrder: number
  /** Packets the kernel dropped, when libpcap tells. */
  kernelDrops?: number
  /** Packets and bytes the capture source read (all of them, not only TCP), when it tells. */
  capturedPackets?: number
  capturedBytes?: number
  /** Packets the snap length cut (their missing bytes are reassembly gaps), when the source tells. */
  truncatedPackets?: number
  /** Who stamped the packets: the kernel, rpcdiag on arrival (cap: latencies approximate), or the file. */
  timestampSource?: TimestampSource
  /** First to last packet, ms. */
  durationMs: number
  methods: Record<string, MethodSummary>
}

/** Counters the session bumps as it goes. */
export type SniffCounters = Omit<
  SniffSummary,
  | 'type'
  | 'methods'
  | 'connections'
  | 'gaps'
  | 'gapBytes'
  | 'limitHits'
  | 'packets'
  | 'bytes'
  | 'retransmittedBytes'
  | 'unattributedBytes'
  | 'truncatedSegments'
  | 'staleSockets'
  | 'retransmits'
  | 'outOfOrder'
  | 'kernelDrops'
  | 'capturedPackets'
  | 'capturedBytes'
  | 'durationMs'
>

interface MethodStats {
  count: number
  answered: number
  unanswered: number
  uncertain: number
  errors: number
  /** Bounded whatever the call rate: see LogHistogram. */
  latency: LogHistogram
}

/** Method names come off the wire: past this many distinct names the rest share one row. */
export const MAX_METHODS = 1000
export const OTHER_METHODS = '(other methods)'

export class SniffStats {
  readonly counters: SniffCounters = {
    requests: 0,
    responses: 0,
    paired: 0,
    unanswered: 0,
    uncertain: 0,
    uncertainBy: {gap: 0, truncated: 0, drop: 0, conflict: 0},
    duplicateResponses: 0,
    orphanResponses: 0,
    errorResponses: 0,
    malformedFrames: 0,
    skippedBytes: 0,
    decodedBytes: 0,
    gapDroppedBytes: 0,
    retransmissionConflicts: 0,
    duplicateMsgIds: 0,
    peerSafetyFindings: 0,
    serverNoFin: 0,
    payloadErrors: 0,
    chunks: 0,
    budgetHits: 0,
  }

  private readonly methods = new Map<string, MethodStats>()

  /** The response times of every method together, for the terminal histogram. */
  latencyHistogram(): LogHistogram {
    const all = new LogHistogram()
    for (const m of this.methods.values()) all.merge(m.latency)
    return all
  }

  private method(name: string): MethodStats {
    let m = this.methods.get(name)
    if (m === undefined) {
      if (this.methods.size >= MAX_METHODS) return this.method(OTHER_METHODS)
      m = {count: 0, answered: 0, unanswered: 0, uncertain: 0, errors: 0, latency: new LogHistogram()}
      this.methods.set(name, m)
    }
    return m
  }

  request(method: string): void {
    this.counters.requests++
    this.method(method).count++
  }

  answered(method: string, latencyMs: number, error: boolean): void {
    this.counters.paired++
    const m = this.method(method)
    m.answered++
    m.latency.record(latencyMs)
    if (error) m.errors++
  }

  unanswered(method: string): void {
    this.counters.unanswered++
    this.method(method).unanswered++
  }

  /** A request reported unanswered got its reply after all. */
  unansweredUndo(method: string): void {
    this.counters.unanswered--
    this.method(method).unanswered--
  }

  /** A call the capture cannot tell; `method` when its request was seen. */
  uncertain(reason: UncertainReason, method: string | undefined): void {
    this.counters.uncertain++
    this.counters.uncertainBy[reason]++
    if (method !== undefined) this.method(method).uncertain++
  }

  /** A request reported uncertain at --timeout got its reply after all. */
  uncertainUndo(reason: UncertainReason, method: string): void {
    this.counters.uncertain--
    this.counters.uncertainBy[reason]--
    this.method(method).uncertain--
  }

  /** An error response with no request to pair with still counts against its method. */
  orphanError(method: string): void {
    this.method(method).errors++
  }

  /** Per-method rows, most called first. */
  methodSummaries(): Record<string, MethodSummary> {
    const rows = [...this.methods.entries()].sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]))
    const out: Record<string, MethodSummary> = {}
    for (const [name, m] of rows) {
      const s = m.latency.summary()
      const r = (v: number | undefined) => (v === undefined ? null : roundMs(v))
      out[name] = {
        count: m.count,
        answered: m.answered,
        unanswered: m.unanswered,
        uncertain: m.uncertain,
        errors: m.errors,
        min: r(s?.min),
        mean: r(s?.mean),
        p50: r(s?.p50),
        p90: r(s?.p90),
        p99: r(s?.p99),
        max: r(s?.max),
      }
    }
    return out
  }
}
