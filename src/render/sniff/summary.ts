// The end-of-capture summary, laid out like tshark -z rpc,srt: per method the
// calls, answered, errors and response times, then the totals and what the
// capture itself lost.

import type {ChalkInstance} from 'chalk'

import {displayText} from '../../../decoders/string/index.js'

import {type MethodSummary, type SniffSummary, UNCERTAIN_LABEL, type UncertainReason} from '../../sniff/index.js'
import {durationText} from '../../stats/duration.js'
import {stringWidth, wrapLine} from '../fit-width.js'
import {renderHistogram, type WeightedSamples} from '../histogram.js'
import {type Column, renderTable} from '../table.js'

export interface SummaryOptions {
  /** Columns to fit; undefined: full lines. */
  readonly width?: number
  /** -Y: the expression and how many calls it let through, of how many. */
  readonly displayFilter?: {readonly text: string; readonly matched: number; readonly seen: number}
  /** Lines inserted before the closing rule (the findings rollup). */
  readonly extra?: readonly string[]
}

/** Columns given up, in this order, when the table is wider than the terminal. */
const DROPPABLE = ['P90', 'Min', 'Answered', 'P99']

function ms(v: number | null): string {
  return v === null ? '-' : v.toFixed(3)
}

export function renderSniffSummary(s: SniffSummary, c: ChalkInstance, opts: SummaryOptions = {}): string[] {
  const width = opts.width
  const RULE = '='.repeat(Math.min(80, width ?? 80))
  const THIN = '-'.repeat(Math.min(80, width ?? 80))
  const rows = Object.entries(s.methods)
  const out = [RULE, c.bold('TinyPB Service Response Time (SRT) Statistics, ms:')]
  const prose = (line: string) => out.push(...wrapLine(line, width))
  if (rows.length === 0) out.push('  no TinyPB requests seen')
  else {
    const count = (get: (m: MethodSummary) => number, colour?: (s: string) => string) => (r: [string, MethodSummary]) => {
      const n = get(r[1])
      return n > 0 && colour !== undefined ? colour(String(n)) : String(n)
    }
    let columns: Array<Column<[string, MethodSummary]>> = [
      // Method names come off the wire.
      {header: 'Method', get: (r) => displayText(r[0])},
      {header: 'Calls', get: count((m) => m.count), align: 'right'},
      {header: 'Answered', get: count((m) => m.answered), align: 'right'},
      {header: 'Unanswered', get: count((m) => m.unanswered, c.red), align: 'right'},
      // Only when a call was: most captures have none.
      ...(rows.some((r) => r[1].uncertain > 0) ? [{header: 'Uncertain', get: count((m) => m.uncertain, c.yellow), align: 'right' as const}] : []),
      {header: 'Errors', get: count((m) => m.errors, c.red), align: 'right'},
      {header: 'Min', get: (r) => ms(r[1].min), align: 'right'},
      {header: 'Avg', get: (r) => ms(r[1].mean), align: 'right'},
      {header: 'P50', get: (r) => ms(r[1].p50), align: 'right'},
      {header: 'P90', get: (r) => ms(r[1].p90), align: 'right'},
      {header: 'P99', get: (r) => ms(r[1].p99), align: 'right'},
      {header: 'Max', get: (r) => ms(r[1].max), align: 'right'},
    ]
    let table = renderTable(columns, rows)
    // Too wide for the terminal: give up the columns least missed, then elide method names.
    for (const drop of DROPPABLE) {
      if (width === undefined || Math.max(...table.map((l) => stringWidth(l))) <= width) break
      columns = columns.filter((col) => col.header !== drop)
      table = renderTable(columns, rows)
    }
    if (width !== undefined && Math.max(...table.map((l) => stringWidth(l))) > width) {
      const over = Math.max(...table.map((l) => stringWidth(l))) - width
      const longest = Math.max(...rows.map((r) => displayText(r[0]).length))
      const keep = Math.max(8, longest - over)
      columns = [{...columns[0], get: (r) => elideMiddle(displayText(r[0]), keep)}, ...columns.slice(1)]
      table = renderTable(columns, rows)
    }
    out.push(...table)
  }
  out.push(THIN)
  const flag = (n: number, text: string) => (n > 0 ? c.yellow(`${n} ${text}`) : `${n} ${text}`)
  const uncertainBy = (Object.keys(UNCERTAIN_LABEL) as UncertainReason[])
    .filter((r) => s.uncertainBy[r] > 0)
    .map((r) => `${UNCERTAIN_LABEL[r]} ${s.uncertainBy[r]}`)
  const uncertain = flag(s.uncertain, 'uncertain') + (uncertainBy.length > 0 ? ` (${uncertainBy.join(', ')})` : '')
  prose(
    `Frames: ${s.requests} requests, ${s.responses} responses, ${s.paired} paired, ${flag(s.unanswered, 'unanswered')}, ${uncertain}, ` +
      `${flag(s.duplicateResponses, 'duplicate replies')}, ${flag(s.orphanResponses, 'replies without request')}, ${flag(s.errorResponses, 'error replies')}`,
  )
  const conflicts = s.retransmissionConflicts > 0 ? `, ${flag(s.retransmissionConflicts, 'retransmissions with different data')}` : ''
  if (opts.displayFilter !== undefined) {
    const d = opts.displayFilter
    prose(`Display filter: ${c.bold(`${d.matched} of ${d.seen} calls`)} matched -Y ${JSON.stringify(d.text)} (the counts above are of every call captured)`)
  }
  prose(
    `Anomalies: ${flag(s.malformedFrames, 'malformed frames')}, ${flag(s.skippedBytes, 'bytes skipped')}, ${flag(s.duplicateMsgIds, 'duplicate msg_ids in flight')}, ` +
      `${flag(s.peerSafetyFindings, 'peer-safety findings')}, ${flag(s.payloadErrors, 'undecodable payloads')}${conflicts}`,
  )
  const open = s.serverNoFin > 0 ? `, ${c.yellow(`${s.serverNoFin} left open by the server after the client's FIN`)}` : ''
  const stale = s.staleSockets > 0 ? `, ${c.yellow(`${s.staleSockets} stale server sockets (SYN answered with a challenge ACK: CLOSE_WAIT on the server)`)}` : ''
  prose(`Connections: ${s.connections}${open}${stale}${s.chunks > 0 ? `, ${s.chunks} string-protocol chunks` : ''}`)
  const drops = s.kernelDrops === undefined ? 'kernel drops n/a' : flag(s.kernelDrops, 'dropped by the kernel')
  const captured = s.capturedPackets === undefined ? '' : ` (${s.capturedPackets} packets${s.capturedBytes === undefined ? '' : `, ${s.capturedBytes} bytes`} read)`
  // What the capture program counted when it reports it (packets), else what reassembly saw (TCP segments).
  const cut = s.truncatedPackets ?? (s.truncatedSegments > 0 ? s.truncatedSegments : undefined)
  const truncated = cut === undefined ? '' : `, ${flag(cut, 'truncated by the snap length')}`
  const stamps = s.timestampSource === undefined ? '' : `, timestamps: ${s.timestampSource === 'userspace' ? c.yellow('userspace (approximate)') : s.timestampSource}`
  prose(
    `Capture: ${s.packets} TCP segments, ${s.bytes} payload bytes${captured}, ${drops}${truncated}, ${flag(s.gaps, 'reassembly gaps')} (${s.gapBytes} bytes), ` +
      `${s.retransmits} retransmits, ${s.outOfOrder} out of order${s.limitHits > 0 ? `, ${c.yellow(`${s.limitHits} buffer-limit hits`)}` : ''}${s.budgetHits > 0 ? `, ${c.yellow(`${s.budgetHits} max-buffered hits`)}` : ''}, ${durationText(s.durationMs)}${stamps}`,
  )
  // Every captured payload byte, once: what trust in the numbers above rests on.
  prose(
    `Payload bytes: ${s.bytes} = ${s.decodedBytes} decoded + ${flag(s.skippedBytes, 'skipped')} + ${flag(s.gapDroppedBytes, 'in frames cut by gaps')} + ` +
      `${s.retransmittedBytes} retransmitted + ${flag(s.unattributedBytes, 'on no connection')}`,
  )
  if (opts.extra !== undefined && opts.extra.length > 0) out.push(THIN, ...opts.extra)
  out.push(RULE)
  return out
}

function elideMiddle(text: string, keep: number): string {
  if (text.length <= keep) return text
  const head = Math.ceil((keep - 1) / 2)
  return text.slice(0, head) + '…' + text.slice(text.length - (keep - 1 - head))
}

/** Response times of every paired call (a sample list, or SniffStats.latencyHistogram()), as a terminal histogram. */
export function renderSniffHistogram(latencies: readonly number[] | WeightedSamples): string[] {
  if ((Array.isArray(latencies) ? latencies.length : (latencies as WeightedSamples).count) === 0) return []
  return ['Response time histogram:', ...renderHistogram(latencies).map((l) => '  ' + l)]
}
