// Capture health, read when Prometheus scrapes: what the capture source and the
// reassembly counted (packets, drops, gaps). A table, like the event rules: a
// counter a capture source adds later (truncated packets) is read by name and
// shows up once the source reports it; until then the series is absent, not 0.

import type {CaptureSource, CaptureStats} from '../capture/index.js'
import type {SniffSession} from '../sniff/index.js'

/** What the scrape reads from. */
export interface CaptureHealthSource {
  readonly source: CaptureSource
  readonly session: SniffSession
  /** The latest capture stats (live sources refresh theirs in the background). */
  readonly stats: CaptureStats
}

export interface HealthMetric {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge'
  /** undefined: the source cannot tell; no series. */
  readonly read: (h: CaptureHealthSource) => number | undefined
}

/** A numeric field a source may or may not have (fields other branches add to CaptureStats). */
export function numberField(o: object, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = (o as Record<string, unknown>)[n]
    if (typeof v === 'number' && Number.isFinite(v)) return v
  }
  return undefined
}

/** Each labelled {backend}: cap, tcpdump, file or stdin. */
export const CAPTURE_HEALTH: readonly HealthMetric[] = [
  {name: 'tinypb_capture_packets_total', type: 'counter', help: 'Packets the capture handed over', read: (h) => h.stats.packets},
  {name: 'tinypb_capture_bytes_total', type: 'counter', help: 'Captured bytes handed over (link-layer headers included)', read: (h) => h.stats.bytes},
  {name: 'tinypb_capture_kernel_drops_total', type: 'counter', help: 'Packets the kernel dropped because the capture buffer was full', read: (h) => h.stats.kernelDrops},
  {name: 'tinypb_capture_interface_drops_total', type: 'counter', help: 'Packets the interface dropped, when reported', read: (h) => h.stats.interfaceDrops},
  {name: 'tinypb_capture_queue_drops_total', type: 'counter', help: 'Packets rpcdiag dropped because decoding fell behind', read: (h) => h.stats.queueDrops},
  // The capture-process work adds this count to CaptureStats; read by name until then.
  {name: 'tinypb_capture_truncated_packets_total', type: 'counter', help: 'Packets cut by the snaplen', read: (h) => numberField(h.stats, 'truncated', 'truncatedPackets')},
  {name: 'tinypb_capture_reassembly_gaps_total', type: 'counter', help: 'Holes in a TCP stream the capture did not fill', read: (h) => h.session.reassembly.gaps},
  {name: 'tinypb_capture_gap_bytes_total', type: 'counter', help: 'Bytes missing in those holes', read: (h) => h.session.reassembly.gapBytes},
  {name: 'tinypb_capture_retransmits_total', type: 'counter', help: 'TCP retransmissions seen', read: (h) => h.session.reassembly.retransmits},
  {name: 'tinypb_capture_skipped_bytes_total', type: 'counter', help: 'Bytes the TinyPB decoder skipped to find the next frame', read: (h) => h.session.stats.counters.skippedBytes},
  {name: 'tinypb_connections_total', type: 'counter', help: 'TCP connections seen', read: (h) => h.session.reassembly.connections},
  {name: 'tinypb_in_flight_requests', type: 'gauge', help: 'Requests waiting for a reply now', read: (h) => h.session.inFlight},
]
