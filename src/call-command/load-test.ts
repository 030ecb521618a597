import {colorChoice} from '../cli/color-flag.js'
import type {CommandIo} from '../cli/command-io.js'
import {EXIT_SERVER_ERROR, EXIT_TRANSPORT} from '../cli/exit-codes.js'
import {untilSignal} from '../cli/signals.js'
import type {NetAddr} from '../net/net-addr.js'
import type {PreparedCall} from '../rpc/call-prepare.js'
import type {LoadReport} from '../rpc/load-test.js'
import type {CallFlags} from './flags.js'

/** --repeat / --duration: the load test, its progress bar, records and report. */
export async function runLoadTest(addr: NetAddr, prepared: PreparedCall, flags: CallFlags, io: CommandIo): Promise<LoadReport> {
  const [{runLoad, LoadProgress}, render, {colorsFor}, reports, records, bars] = await Promise.all([
    import('../rpc/load-test.js'),
    import('../render/call-load.js'),
    import('../render/color.js'),
    flags.report === undefined ? undefined : import('../report/index.js'),
    flags.format === 'pretty' ? undefined : import('../render/call-records.js'),
    // The bar is for a person at a terminal; on a pipe it would be noise in a log.
    (flags.progress ?? process.stderr.isTTY === true) ? import('../render/load-progress.js') : undefined,
  ])
  if (prepared.msgId !== undefined && !flags['connection-per-call']) {
    io.logToStderr(colorsFor(process.stderr, process.env, colorChoice(flags)).yellow('warning: with a fixed --msg-id on reused connections, a stale reply cannot be told from a fresh one'))
  }
  // --report: opened now, so a path that cannot be written fails before the run.
  const opened = reports?.LoadReportFile.open(flags.report!, {
    method: prepared.wireName,
    addr: flags.addr,
    repeat: flags.repeat,
    durationMs: flags.duration,
    rps: flags.rps,
    warmup: flags.warmup,
    concurrency: flags.concurrency,
    pipeline: flags.pipeline,
    connectionPerCall: flags['connection-per-call'],
    timeoutMs: flags.timeout,
    connectTimeoutMs: flags['connect-timeout'],
    startedAtEpochMs: Date.now(),
  })
  if (opened !== undefined && !opened.ok) throw opened.error
  const reportFile = opened?.value
  const writer = records === undefined ? undefined : new records.CallRecordWriter(flags.format as 'csv' | 'json', (s) => process.stdout.write(s))
  const onCalls = [reportFile?.onCall, writer?.add].filter((f) => f !== undefined)
  const progress = new LoadProgress()
  // Ctrl-C ends the run early with its report, as ghz does; a second Ctrl-C ends the process.
  const stop = untilSignal()
  const bar = bars?.startLoadBar({stream: process.stderr, progress, repeat: flags.repeat, durationMs: flags.duration, warmup: flags.warmup})
  const r = await runLoad({
    addr,
    prepared,
    repeat: flags.repeat,
    durationMs: flags.duration,
    rps: flags.rps,
    warmup: flags.warmup,
    concurrency: flags.concurrency,
    connectionPerCall: flags['connection-per-call'],
    pipeline: flags.pipeline,
    timeoutMs: flags.timeout,
    connectTimeoutMs: flags['connect-timeout'],
    progress,
    signal: stop.signal,
    onCall: onCalls.length === 2 ? (c) => onCalls.forEach((f) => f(c)) : onCalls[0],
  })
  stop.dispose()
  bar?.stop()
  if (!r.ok) {
    reportFile?.discard()
    throw r.error
  }
  const report = r.value
  if (reportFile !== undefined) {
    const written = await reportFile.write(report)
    if (!written.ok) throw written.error
    io.logToStderr(colorsFor(process.stderr).dim(reports!.writtenText(written.value)))
  }
  if (writer !== undefined && flags.format === 'json') writer.finish(render.loadReportToJson(report))
  else if (writer !== undefined) {
    // csv: stdout holds only the records (`> calls.csv`); the summary is for the person watching.
    writer.finish()
    for (const line of render.renderLoadReport(report, {colors: colorsFor(process.stderr, process.env, colorChoice(flags))})) io.logToStderr(line)
  } else for (const line of render.renderLoadReport(report, {colors: colorsFor(process.stdout, process.env, colorChoice(flags))})) io.log(line)
  const unanswered = report.transportErrors.reduce((n, e) => n + e.count, 0)
  const serverErrors = report.serverErrors.reduce((n, e) => n + e.count, 0)
  if (unanswered > 0) io.error(`${unanswered} of ${report.calls} calls got no answer`, {exit: EXIT_TRANSPORT, code: 'UNANSWERED'})
  if (serverErrors > 0) io.error(`${serverErrors} of ${report.calls} calls answered with err_code != 0`, {exit: EXIT_SERVER_ERROR, code: 'SERVER_ERROR'})
  return report
}
