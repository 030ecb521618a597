// The sniff report as a SniffOutput: runSniff's events go to the terminal
// printer and here (teeOutputs), and once the capture is over the report is
// built from what came and written.

import type {CaptureSource} from '../capture/index.js'
import {err, ok, type Result, RpcDiagError, type UsageError} from '../errors.js'
import type {SniffContext, SniffOutcome, SniffOutput} from '../sniff/index.js'
import type {ReportData} from './data.js'
import {ReportFile, type WrittenReport} from './report-file.js'
import {SniffReportBuilder, type SniffReportOptions} from './sniff-report.js'

export interface SniffReportOutput extends SniffOutput {
  build(outcome: SniffOutcome, generatedAt?: Date): ReportData
}

/**
 * How the source stamps packets, in words: the summary's timestampSource
 * (kernel, userspace, file) said for this kind of source.
 */
export function timestampSourceOf(source: CaptureSource): string {
  switch (source.kind) {
    case 'file':
    case 'stdin':
      return 'the capture file’s packet records, as the program that wrote it stamped them'
    case 'tcpdump':
    case 'dumpcap':
      return `the kernel, when each packet was captured (${source.kind})`
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

/**
 * `sniff --report FILE`: the file opened before the capture starts, the output
 * to tee beside the terminal's once it does, and the page written at the end.
 */
export class SniffReport {
  private out: SniffReportOutput | undefined

  private constructor(private readonly file: ReportFile) {}

  static open(path: string): Result<SniffReport, UsageError> {
    const f = ReportFile.open(path)
    return f.ok ? ok(new SniffReport(f.value)) : f
  }

  /** The SniffOutput that collects the report (runSniff's output callback calls this with its context). */
  output(ctx: SniffContext): SniffOutput {
    this.out = sniffReportOutput(ctx)
    return this.out
  }

  async write(outcome: SniffOutcome): Promise<Result<WrittenReport, RpcDiagError>> {
    if (this.out === undefined) {
      this.file.discard()
      return err(new RpcDiagError('WRITE_FAILED', `no capture ran: ${this.file.path} not written`))
    }
    return this.file.write(this.out.build(outcome))
  }

  /** The capture did not start: remove the empty file. */
  discard(): void {
    this.file.discard()
  }
}
