import type {Interfaces} from '@oclif/core'

import {colorChoice} from '../cli/color-flag.js'
import type {CommandIo} from '../cli/command-io.js'
import {EXIT_SERVER_ERROR, EXIT_TRANSPORT} from '../cli/exit-codes.js'
import {schemaFromFlags} from '../cli/proto-flags.js'
import {untilSignal} from '../cli/signals.js'
import {UsageError} from '../errors.js'
import type {NetAddr} from '../net/net-addr.js'
import type {CallResult} from '../rpc/call.js'
import type {PreparedCall} from '../rpc/call-prepare.js'
import type {LoadReport} from '../rpc/load-test.js'
import type {callArgs, callFlags} from './flags.js'

export type CallArgs = Interfaces.InferredArgs<typeof callArgs>
export type CallFlags = Interfaces.InferredFlags<typeof callFlags>

/**
 * `rpcdiag call` from its parsed argument and flags: one call, or a load test
 * with --repeat/--duration. Modules load lazily: protobufjs only when a
 * .proto is given, the load test's only for one, so a one-shot call starts fast.
 */
export async function runCallCommand(args: CallArgs, flags: CallFlags, io: CommandIo): Promise<CallResult | LoadReport> {
  const [{parseAddr}, input, {prepareCall, preparedWarnings}] = await Promise.all([
    import('../net/net-addr.js'),
    import('../rpc/call-input.js'),
    import('../rpc/call-prepare.js'),
  ])
  const addr = parseAddr(flags.addr)
  if (!addr.ok) throw addr.error
  const loadTest = flags.repeat !== undefined || flags.duration !== undefined
  if (!loadTest && (flags['connection-per-call'] || flags.pipeline > 1 || flags.concurrency > 1 || flags.report !== undefined)) {
    throw new UsageError('BAD_FLAGS', '--concurrency, --connection-per-call, --pipeline and --report need --repeat N')
  }
  if (!loadTest && (flags.rps !== undefined || flags.warmup !== undefined || flags.progress !== undefined || flags.format === 'csv')) {
    throw new UsageError('BAD_FLAGS', '--rps, --warmup, --progress and --format csv are for a load test: add --repeat N or --duration')
  }

  const body =
    flags.json !== undefined
      ? // grpcurl reads the body from stdin with `-d @`; readJsonBody's stdin is `-`.
        await input.readJsonBody(flags.json === '@' ? '-' : flags.json, {maxBytes: flags['max-body']})
      : flags['data-hex'] !== undefined
        ? input.parseHexBody(flags['data-hex'])
        : flags['data-base64'] !== undefined
          ? input.parseBase64Body(flags['data-base64'])
          : undefined
  if (body !== undefined && !body.ok) throw body.error

  const loaded = await schemaFromFlags(flags)
  if (!loaded.ok) throw loaded.error
  const schema = loaded.value

  const prepared = prepareCall({
    method: args.method,
    schema,
    body: body?.value,
    allowUnknownFields: flags['allow-unknown-fields'],
    msgId: flags['msg-id'],
    peer: flags.peer,
    force: flags.force,
  })
  if (!prepared.ok) throw prepared.error
  const {colorsFor} = await import('../render/color.js')
  const errColors = colorsFor(process.stderr, process.env, colorChoice(flags))
  for (const w of preparedWarnings(prepared.value)) {
    io.logToStderr(errColors.yellow(`warning: ${w}`))
  }

  if (loadTest) return runLoadTest(addr.value, prepared.value, flags, args.method, io)

  const {runCall} = await import('../rpc/call.js')
  const result = await runCall({addr: addr.value, prepared: prepared.value, timeoutMs: flags.timeout, connectTimeoutMs: flags['connect-timeout']})
  const render = await import('../render/call-result.js')
  if (flags.format === 'json') io.log(JSON.stringify(render.callResultToJson(result, {verbose: flags.verbose}), null, 2))
  else if (result.status !== 'transport-error' || flags.verbose) {
    for (const line of render.renderCallResult(result, {colors: colorsFor(process.stdout, process.env, colorChoice(flags)), verbose: flags.verbose})) io.log(line)
  }
  if (result.status === 'transport-error') {
    // The likely causes are the diagnosis, printed with the result; the error itself is one line.
    const [line, ...causes] = render.renderCallFailure(result).split('\n')
    if (flags.format !== 'json') for (const c of causes) io.log(c)
    io.error(line, {exit: EXIT_TRANSPORT, code: result.error?.code ?? 'INTERNAL'})
  }
  if (result.status === 'server-error') {
    const r = result.response!
    io.error(`server answered err_code ${r.errCode} ${r.errName}${r.errInfo === '' ? '' : `: ${r.errInfo}`}`, {exit: EXIT_SERVER_ERROR, code: 'SERVER_ERROR'})
  }
  return result
}

/** --repeat / --duration: the load test, its progress bar, records and report. */
async function runLoadTest(addr: NetAddr, prepared: PreparedCall, flags: CallFlags, method: string, io: CommandIo): Promise<LoadReport> {
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
