// `rpcdiag sniff` wired: the flags (parsed, SniffCommandOptions) to the
// capture, the analysis, the printers, --report, --metrics, --netns, the
// summary and the exit. The command only parses flags and calls this.
//
//   const r = await runSniffCommand(options, {stdout: process.stdout, stderr: process.stderr, log, env: process.env, color})
//   if (!r.ok) fail(r.error)   // a usage error, a capture failure, or --fail-on's findings (exit 4)

import {listInterfaces, timestampWarning} from '../capture/index.js'
import {untilSignal} from '../cli/signals.js'
import {err, FailOnError, ok, type Result, type RpcDiagError, UsageError} from '../errors.js'
import {parsePortRanges} from '../net/index.js'
import {keepMemoryReturnable} from '../net/long-running.js'
import {capYoungGeneration, scavengeOnMainThread} from '../net/young-generation.js'
import {
  CaptureTimeFormat,
  colorsFor,
  CSV_LAYOUT,
  DEFAULT_FIELDS,
  type FieldsLayout,
  FieldsRenderer,
  fittedWidth,
  LineWriter,
  parseFieldOptions,
  renderFindings,
  renderInterfaces,
  renderSniffHistogram,
  renderSniffSummary,
  resolveFieldList,
  summaryLine,
  terminalOutput,
  TSHARK_FIELDS,
  TSV_LAYOUT,
} from '../render/sniff/index.js'
import {CallSelection, compileDisplayFilter, type DisplayFilter} from '../sniff/display-filter/index.js'
import {failOnFindings} from '../sniff/fail-on.js'
import type {FieldRef} from '../sniff/fields/index.js'
import {FindingRollup} from '../sniff/findings/index.js'
import {RawPayloadDecoder, SchemaPayloadDecoder} from '../sniff/payload-decoder.js'
import {runSniff, type SniffRun} from '../sniff/run-sniff.js'
import {teeOutputs, withoutFrames} from '../sniff/tee-output.js'
import type {SniffSummary} from '../sniff/transactions/index.js'
import type {SniffCommandIo, SniffCommandOptions, SniffFormat} from './options.js'

const LAYOUTS: Readonly<Record<Exclude<SniffFormat, 'text' | 'ndjson'>, FieldsLayout>> = {csv: CSV_LAYOUT, tsv: TSV_LAYOUT, fields: TSHARK_FIELDS}

/** -f and the words after the flags, ANDed (each parenthesised when both are given). */
export function captureFilterText(filter: string | undefined, words: readonly string[]): string | undefined {
  const parts = [filter?.trim() ?? '', words.join(' ').trim()].filter((p) => p !== '')
  if (parts.length <= 1) return parts[0]
  return parts.map((p) => `(${p})`).join(' and ')
}

/** The output's parts that depend on flags alone, checked before any capture starts. */
interface Prepared {
  readonly displayFilter?: DisplayFilter
  readonly fields?: {refs: FieldRef[]; layout: FieldsLayout}
}

function prepare(o: SniffCommandOptions): Result<Prepared, UsageError> {
  const payloads = o.schema !== undefined
  let displayFilter: DisplayFilter | undefined
  if (o.displayFilter !== undefined) {
    const d = compileDisplayFilter(o.displayFilter, {payloads})
    if (!d.ok) return d
    displayFilter = d.value
  }
  if (o.format === 'text' || o.format === 'ndjson') {
    if (o.fields.length > 0 || o.fieldOptions.length > 0) return err(new UsageError('BAD_FLAGS', `-e and -E name the fields of -T fields and --format csv|tsv, not of --format ${o.format}`))
    return ok({displayFilter})
  }
  const layout = parseFieldOptions(o.fieldOptions, LAYOUTS[o.format])
  if (!layout.ok) return layout
  const refs = resolveFieldList(o.fields.length > 0 ? o.fields : DEFAULT_FIELDS, {payloads})
  if (!refs.ok) return refs
  return ok({displayFilter, fields: {refs: refs.value, layout: layout.value}})
}

export async function runSniffCommand(o: SniffCommandOptions, io: SniffCommandIo): Promise<Result<SniffSummary | undefined, RpcDiagError>> {
  const colors = colorsFor(io.stdout, io.env, io.color)
  const errColors = colorsFor(io.stderr, io.env, io.color)
  const json = o.format === 'ndjson'

  if (o.listInterfaces) {
    const listed = await listInterfaces()
    if (!listed.ok) return listed
    const out = LineWriter.toStream(io.stdout)
    for (const line of json ? listed.value.map((d) => JSON.stringify({type: 'interface', ...d})) : renderInterfaces(listed.value, colors)) out.line(line)
    out.flush()
    return ok(undefined)
  }

  const prepared = prepare(o)
  if (!prepared.ok) return prepared
  const {displayFilter} = prepared.value
  const payloads = o.schema !== undefined ? new SchemaPayloadDecoder(o.schema) : o.verbose ? new RawPayloadDecoder() : undefined

  // --report: opened now, so a path that cannot be written fails before the capture.
  const reports = o.report === undefined ? undefined : await import('../report/index.js')
  const opened = reports?.SniffReport.open(o.report!)
  if (opened !== undefined && !opened.ok) return opened
  const report = opened?.value

  const silent = o.metricsOnly
  const live = o.read === undefined
  if (live) await keepMemoryReturnable()
  else {
    // A file read in one go: V8 would double its new space to 32 MiB (19 MB of peak RSS on the
    // 200k-call capture) for no saving in CPU (the same CPU at 16 MiB).
    capYoungGeneration()
    scavengeOnMainThread()
  }
  // Attribution names processes for the printed lines: an agent printing nothing needs none.
  const processes = o.processes && !silent

  // --netns: the capture process runs inside; the namespace's tables (process names, CLOSE_WAIT) are read through a process in it.
  let netns: import('../netns/index.js').NetnsAccess | undefined
  if (o.netns !== undefined) {
    const n = await (await import('../netns/index.js')).openNetns(o.netns, {tables: processes || o.metrics !== undefined})
    if (!n.ok) return n
    netns = n.value
  }

  const metrics = o.metrics === undefined ? undefined : await startMetrics(o.metrics, {ports: o.ports, maxMethods: o.metricsMaxMethods, closeWait: live, netDir: netns?.netDir})
  if (metrics !== undefined && !metrics.ok) {
    netns?.close()
    return metrics
  }
  const served = metrics?.value

  // Ctrl-C and SIGTERM end the capture: what was captured is still decoded and
  // summarised. A second one leaves at once; the -w file is whole after every write.
  let running: SniffRun | undefined
  const stop = untilSignal({onSecond: () => running?.closeWriter()})
  // Straight to stdout, minding its backpressure: a slow reader pauses the capture, not memory.
  const out = LineWriter.toStream(io.stdout)
  const width = o.format === 'text' ? await fittedWidth(io.stdout, io.env) : undefined
  const rollup = new FindingRollup()
  let times: CaptureTimeFormat | undefined
  let selection: CallSelection | undefined
  const filterText = captureFilterText(o.filter, o.filterWords)

  const r = await runSniff({
    capture: {
      read: o.read,
      interface: o.interface,
      ports: o.ports,
      hosts: o.hosts,
      filter: filterText,
      backend: o.backend,
      snaplen: o.snaplen,
      commandPrefix: netns?.commandPrefix,
      signal: o.durationMs === undefined ? stop.signal : AbortSignal.any([stop.signal, AbortSignal.timeout(o.durationMs)]),
    },
    session: {
      protocol: o.protocol,
      timeoutMs: o.timeoutMs,
      payloads,
      hex: o.hex,
      bufferLimit: o.bufferLimit,
      maxBuffered: o.maxBuffered,
      // The report's ladders show SYN, FIN and RST.
      connections: o.verbose || report !== undefined,
      // Metrics count requests as they arrive: the session reports every frame, the printer shows them with --frames.
      frames: o.frames || served !== undefined,
    },
    write: o.write,
    count: o.count,
    processes,
    netDir: netns?.netDir,
    output: (ctx) => {
      times = new CaptureTimeFormat(() => ctx.session.baseSec)
      const clock = times
      selection = new CallSelection(displayFilter, {epoch: (t) => clock.epoch(t)})
      const f = prepared.value.fields
      const printer = silent
        ? undefined
        : terminalOutput(ctx, {
            out,
            colors,
            json,
            verbose: o.verbose,
            hex: o.hex,
            fileName: o.read === '-' ? 'stdin' : (o.read ?? ''),
            progress: io.stderr.isTTY ? (t) => io.stderr.write(t) : undefined,
            fields: f === undefined ? undefined : new FieldsRenderer(f.refs, f.layout, clock),
            times: clock,
            selection,
            rollup,
            quiet: o.quiet,
            width,
          })
      const shown = printer === undefined || o.frames || served === undefined ? printer : withoutFrames(printer)
      return teeOutputs(shown, report?.output(ctx), served?.sniff.output(ctx))
    },
  })
  if (!r.ok) {
    stop.dispose()
    report?.discard()
    await served?.close()
    netns?.close()
    return err(explainFilterError(r.error, o.filterWords))
  }
  running = r.value
  const {source, filter, notice, session} = running
  if (notice !== undefined) io.log(errColors.yellow(`rpcdiag: ${notice}`))
  const stampWarning = timestampWarning(source)
  if (stampWarning !== undefined && !silent) io.log(errColors.yellow(`rpcdiag: warning: ${stampWarning}`))
  if (running.live || served !== undefined) {
    const what = filter.expression === '' ? '' : `, filter "${filter.expression}"`
    const serving = served === undefined ? '' : `serving metrics on ${served.http.url}; `
    const capturing = running.live ? `capturing on ${source.description}${what}; Ctrl-C stops` : `reading ${source.description}`
    io.log(errColors.dim(`rpcdiag: ${serving}${capturing}`))
  }
  const outcome = await running.done.finally(() => stop.dispose())
  await served?.close()
  netns?.close()

  for (const n of outcome.notes) io.log(errColors.yellow(`rpcdiag: ${n}`))
  if (silent) return outcome.error === undefined ? ok(outcome.summary) : err(outcome.error)

  const matched = displayFilter === undefined || selection === undefined ? undefined : {text: displayFilter.text, matched: selection.matched, seen: selection.seen}
  if (json) out.line(summaryLine(displayFilter === undefined ? outcome.summary : {...outcome.summary, displayFilter: matched} as SniffSummary))
  else if (o.summary || o.quiet) {
    // Beside field rows the summary goes to stderr, so stdout stays a clean CSV (or TSV) file; -q puts it on stdout.
    const toStderr = o.format !== 'text' && !o.quiet
    const c = toStderr ? errColors : colors
    const findings = times === undefined ? [] : renderFindings(rollup.entries(), {colors: c, clock: times, width, verbose: o.verbose, printed: o.format === 'text' && !o.quiet})
    const lines = renderSniffSummary(outcome.summary, c, {width: toStderr ? await fittedWidth(io.stderr, io.env) : width, displayFilter: matched, extra: findings})
    if (o.histogram) lines.push(...renderSniffHistogram(session.stats.latencyHistogram()))
    if (toStderr) for (const line of lines) io.log(line)
    else for (const line of lines) out.line(line)
  }
  out.flush()
  if (report !== undefined) {
    const written = await report.write(outcome)
    if (!written.ok) return written
    io.log(errColors.dim(`rpcdiag: ${reports!.writtenText(written.value)}`))
  }
  if (outcome.error !== undefined) return err(outcome.error)
  if (o.failOn.length > 0 && selection !== undefined) {
    const seen = failOnFindings(o.failOn, selection, outcome.summary)
    if (seen.length > 0) return err(new FailOnError('FAIL_ON', `--fail-on: the capture showed ${seen.join(', ')}`))
  }
  return ok(outcome.summary)
}

/** A capture filter that does not compile, when words after the flags made it: say that they were read as one. */
function explainFilterError(e: RpcDiagError, words: readonly string[]): RpcDiagError {
  if (e.code !== 'BAD_FILTER' || words.length === 0) return e
  return new UsageError('BAD_FILTER', e.message, {
    cause: e,
    hint: `the words after the flags (${words.join(' ')}) are read as a capture filter, as tcpdump reads them; see rpcdiag sniff --help`,
  })
}

/** --metrics: the registry and its HTTP endpoint, up before the capture starts (a port in use fails at once). */
async function startMetrics(text: string, o: {ports?: string[]; maxMethods?: number; closeWait: boolean; netDir?: string}) {
  const m = await import('../metrics/index.js')
  const address = m.parseMetricsAddress(text)
  if (!address.ok) return address
  const ports = parsePortRanges(o.ports ?? [])
  if (!ports.ok) return ports
  const sniff = new m.SniffMetrics({
    processMetrics: true,
    maxMethods: o.maxMethods,
    closeWait: o.closeWait ? {ports: ports.value, netDir: o.netDir} : undefined,
  })
  const http = await m.startMetricsServer({address: address.value, text: () => sniff.text(), contentType: sniff.registry.contentType})
  if (!http.ok) return http
  return ok({sniff, http: http.value, close: () => http.value.close()})
}
