// The sniff report as a SniffOutput: runSniff's events go to the terminal
// printer and here (teeOutputs), and once the capture is over the report is
// built from what came and written.

import type {CaptureSource} from '../capture/index.js'
import type {SniffContext, SniffOutcome, SniffOutput} from '../sniff/index.js'
import type {ReportData} from './data.js'
import {SniffReportBuilder, type SniffReportOptions} from './sniff-report.js'

export interface SniffReportOutput extends SniffOutput {
  build(outcome: SniffOutcome, generatedAt?: Date): ReportData
}

/**
 * How the source stamps packets, in words. (A timestamp-source field of the
 * capture itself, when there is one, takes precedence: see SniffReportBuilder.)
 */
export function timestampSourceOf(source: CaptureSource): string {
  switch (source.kind) {
    case 'file':
    case 'stdin':
      return 'the capture file’s packet records, as the program that wrote it stamped them'
    case 'tcpdump':
      return 'the kernel, when each packet was captured (tcpdump)'
    case 'cap':
      return 'when each packet reached rpcdiag (libpcap through the cap addon): later than the kernel saw it under load'
  }
}

export function sourceText(source: CaptureSource): string {
  const filter = source.filter === undefined || source.filter === '' ? '' : `, filter "${source.filter}"`
  return source.kind === 'file' || source.kind === 'stdin' ? `file ${source.description}${filter}` : `live capture on ${source.description}${filter}`
}

export function sniffReportOutput(ctx: SniffContext, limits?: SniffReportOptions['limits']): SniffReportOutput {
  const {source, session} = ctx
  const builder = new SniffReportBuilder({
    // A file's description (format, link type) is complete once its header was read: read at the end.
    get source() {
      return sourceText(source)
    },
    timestampSource: timestampSourceOf(source),
    baseSec: () => session.baseSec,
    limits,
  })
  return {
    event: (e) => builder.event(e),
    build: (outcome, generatedAt) => builder.build(outcome.summary, {notes: outcome.notes, generatedAt}),
  }
}
