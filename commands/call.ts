import {Args, Flags} from '@oclif/core'

import {BaseCommand, colorChoice, colorFlags, durationFlag, EXIT_SERVER_ERROR, EXIT_TRANSPORT, protoFlags, schemaFromFlags, sizeFlag, untilSignal, warmupFlag} from '../src/cli/index.js'
import {UsageError} from '../src/errors.js'
import {DEFAULT_TIMEOUT_MS} from '../src/net/deadline.js'
import {DEFAULT_MAX_BODY} from '../src/rpc/body-source.js'
import type {CallResult} from '../src/rpc/call.js'
import type {LoadReport, Warmup} from '../src/rpc/load-test.js'

/**
 * `rpcdiag call METHOD`: one TinyPB call, or a small load test with --repeat.
 * oclif's global --json is off here: --json is the request body; --format json
 * is the machine-readable output. Modules load lazily: protobufjs only when a
 * .proto is given, so a one-shot call starts fast.
 */
export default class Call extends BaseCommand {
  static override summary = 'Call a TinyPB method and show the response, err_code and timings'

  static override description = `The request comes from --json (text, @file or - for stdin) checked against the .proto, or as raw bytes with --data-hex/--data-base64 (the response is then decoded schema-less). Bad input exits 2 before anything is sent.

Load test (like ghz): --repeat N calls and/or --duration (whichever ends first), over --concurrency connections, optionally paced by --rps (one open-loop schedule across all connections) after a --warmup left out of the figures. It prints the rate, a latency distribution (p10 ... p99.99, within 1%) and a log-scale histogram, with a progress bar on stderr when stderr is a terminal. Ctrl-C ends the run early with its report. --format csv writes one record per call (ts,latencyMs,errCode,errName,status,msgId,connection; ts in epoch seconds as sniff --json) on stdout and the summary on stderr; --format json writes {"details": [records], ...summary}.

Exit codes: 0 ok, 1 transport failure (refused, connect timeout, call timeout, peer closed mid-frame), 2 usage or bad input, 3 the server answered with err_code != 0. In a load test: 1 if any call got no answer, else 3 if any err_code != 0, else 0.

When a call times out or the peer closes without answering, the error lists the likely causes on rocket and tinyrpc (rocket never answers dispatch errors and drops frames of 128 bytes or more).`

  static override examples = [
    `<%= config.bin %> <%= command.id %> Order.makeOrder --proto examples/order.proto --addr 127.0.0.1:12345 --json '{"price":100,"goods":"apple"}'`,
    `<%= config.bin %> <%= command.id %> Order.makeOrder --proto order.proto --json @req.json --format json`,
    `echo '{"price":100}' | <%= config.bin %> <%= command.id %> Order.makeOrder --proto order.proto -d @`,
    `<%= config.bin %> <%= command.id %> Order.makeOrder --data-hex 086412056170706c65 --verbose`,
    `<%= config.bin %> <%= command.id %> Order.makeOrder --proto order.proto --json '{"price":100}' --repeat 10000 --concurrency 8`,
    `<%= config.bin %> <%= command.id %> Order.makeOrder --proto order.proto --json '{"price":100}' --repeat 1000 --connection-per-call`,
    `<%= config.bin %> <%= command.id %> Order.makeOrder --proto order.proto -d '{"price":100}' --duration 30s --rps 2000 -c 16 --warmup 2s`,
    `<%= config.bin %> <%= command.id %> Order.makeOrder --proto order.proto -d '{"price":100}' -n 10000 -c 8 --format csv > calls.csv`,
  ]

  static override args = {
    method: Args.string({required: true, description: 'Service.method or pkg.Service.method (without a .proto: the method_name as sent)'}),
  }

  static override flags = {
    addr: Flags.string({char: 'a', description: 'server address, host:port or [v6]:port', default: '127.0.0.1:12345'}),
    ...protoFlags,
    json: Flags.string({
      char: 'd',
      // grpcurl's -d: the same body under the name its users type.
      aliases: ['data'],
      description: "request body: JSON text, @file, or - (or @, as grpcurl's -d takes it) for stdin (default '{}'); -d and --data are the same flag",
      exclusive: ['data-hex', 'data-base64'],
    }),
    'data-hex': Flags.string({description: 'raw pb_data in hex, sent as is', exclusive: ['json', 'data-base64']}),
    'data-base64': Flags.string({description: 'raw pb_data in base64, sent as is', exclusive: ['json', 'data-hex']}),
    'max-body': sizeFlag({description: 'refuse a --json @file or stdin body larger than this, before reading it whole', default: DEFAULT_MAX_BODY}),
    'allow-unknown-fields': Flags.boolean({description: 'drop JSON fields the request type lacks instead of failing'}),
    'msg-id': Flags.string({description: 'msg_id to send (default: 20 random digits, +1 per call, like rocket)'}),
    timeout: durationFlag({char: 't', description: 'how long to wait for the answer, connect included', bare: 'ms', default: DEFAULT_TIMEOUT_MS, minMs: 1}),
    'connect-timeout': durationFlag({description: 'how long to wait for the TCP handshake (default: --timeout)', bare: 'ms', minMs: 1}),
    format: Flags.option({
      options: ['pretty', 'json', 'csv'] as const,
      description: 'output format; in a load test json adds one record per call ("details") to the summary, and csv prints only the records (the summary goes to stderr)',
      default: 'pretty' as const,
    })(),
    verbose: Flags.boolean({char: 'v', description: 'show both frames: header fields and a hex dump'}),
    peer: Flags.option({
      options: ['any', 'rocket', 'tinyrpc'] as const,
      description: 'the server framework, for peer-safety checks and failure explanations',
      default: 'any' as const,
    })(),
    force: Flags.boolean({description: 'send a frame even if it would crash or misroute the peer'}),
    repeat: Flags.integer({char: 'n', description: 'make N calls and report throughput and latency (load test)', min: 1}),
    duration: durationFlag({char: 'z', description: 'load test: make calls for this long (with --repeat: whichever ends first); calls in flight then finish', bare: 's', minMs: 1}),
    rps: Flags.integer({description: 'load test: at most N calls a second, one open-loop schedule across all connections', min: 1, max: 10_000_000}),
    warmup: warmupFlag({description: 'load test: calls made first and left out of every figure and record'}),
    progress: Flags.boolean({allowNo: true, description: 'load test: a progress bar on stderr (default: when stderr is a terminal)'}),
    concurrency: Flags.integer({char: 'c', description: 'with --repeat: connections (or calls at a time with --connection-per-call)', default: 1, min: 1}),
    'connection-per-call': Flags.boolean({description: "with --repeat: a new connection per call, like rocket's client (the only safe way with rocket)"}),
    pipeline: Flags.integer({description: 'with --repeat: calls in flight per connection (tinyrpc copes; rocket drops them)', default: 1, min: 1}),
    ...colorFlags,
    report: Flags.string({description: 'with --repeat: also write a self-contained HTML report to FILE: latency over the run, histogram, throughput, error codes'}),
  }

  public async run(): Promise<CallResult | LoadReport> {
    const {args, flags} = await this.parse(Call)
    const [{parseAddr}, input, {prepareCall, preparedWarnings}] = await Promise.all([
      import('../src/net/net-addr.js'),
      import('../src/rpc/call-input.js'),
      import('../src/rpc/call-prepare.js'),
    ])
    const addr = parseAddr(flags.addr)
    if (!addr.ok) this.fail(addr.error)
    const loadTest = flags.repeat !== undefined || flags.duration !== undefined
    if (!loadTest && (flags['connection-per-call'] || flags.pipeline > 1 || flags.concurrency > 1 || flags.report !== undefined)) {
      this.fail(new UsageError('BAD_FLAGS', '--concurrency, --connection-per-call, --pipeline and --report need --repeat N'))
    }
    if (!loadTest && (flags.rps !== undefined || flags.warmup !== undefined || flags.progress !== undefined || flags.format === 'csv')) {
      this.fail(new UsageError('BAD_FLAGS', '--rps, --warmup, --progress and --format csv are for a load test: add --repeat N or --duration'))
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
    if (body !== undefined && !body.ok) this.fail(body.error)

    const loaded = await schemaFromFlags(flags)
    if (!loaded.ok) this.fail(loaded.error)
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
    if (!prepared.ok) this.fail(prepared.error)
    const {colorsFor} = await import('../src/render/color.js')
    const errColors = colorsFor(process.stderr, process.env, colorChoice(flags))
    for (const w of preparedWarnings(prepared.value)) {
      this.logToStderr(errColors.yellow(`warning: ${w}`))
    }

    if (loadTest) return this.load(addr.value, prepared.value, {...flags, method: args.method, addrText: flags.addr})

    const {runCall} = await import('../src/rpc/call.js')
    const result = await runCall({addr: addr.value, prepared: prepared.value, timeoutMs: flags.timeout, connectTimeoutMs: flags['connect-timeout']})
    const render = await import('../src/render/call-result.js')
    if (flags.format === 'json') this.log(JSON.stringify(render.callResultToJson(result, {verbose: flags.verbose}), null, 2))
    else if (result.status !== 'transport-error' || flags.verbose) {
      for (const line of render.renderCallResult(result, {colors: colorsFor(process.stdout, process.env, colorChoice(flags)), verbose: flags.verbose})) this.log(line)
    }
    if (result.status === 'transport-error') {
      // The likely causes are the diagnosis, printed with the result; the error itself is one line.
      const [line, ...causes] = render.renderCallFailure(result).split('\n')
      if (flags.format !== 'json') for (const c of causes) this.log(c)
      this.error(line, {exit: EXIT_TRANSPORT, code: result.error?.code})
    }
    if (result.status === 'server-error') {
      const r = result.response!
      this.error(`server answered err_code ${r.errCode} ${r.errName}${r.errInfo === '' ? '' : `: ${r.errInfo}`}`, {exit: EXIT_SERVER_ERROR, code: 'SERVER_ERROR'})
    }
    return result
  }

  private async load(
    addr: import('../src/net/net-addr.js').NetAddr,
    prepared: import('../src/rpc/call-prepare.js').PreparedCall,
    flags: {
      repeat?: number
      duration?: number
      rps?: number
      warmup?: Warmup
      progress?: boolean
      concurrency: number
      'connection-per-call': boolean
      pipeline: number
      timeout: number
      'connect-timeout'?: number
      format: string
      report?: string
      color: 'auto' | 'always' | 'never'
      'no-color': boolean
      method: string
      addrText: string
    },
  ): Promise<LoadReport> {
    const [{runLoad, LoadProgress}, render, {colorsFor}, reports, records, bars] = await Promise.all([
      import('../src/rpc/load-test.js'),
      import('../src/render/call-load.js'),
      import('../src/render/color.js'),
      flags.report === undefined ? undefined : import('../src/report/index.js'),
      flags.format === 'pretty' ? undefined : import('../src/render/call-records.js'),
      // The bar is for a person at a terminal; on a pipe it would be noise in a log.
      (flags.progress ?? process.stderr.isTTY === true) ? import('../src/render/load-progress.js') : undefined,
    ])
    if (prepared.msgId !== undefined && !flags['connection-per-call']) {
      this.logToStderr(colorsFor(process.stderr, process.env, colorChoice(flags)).yellow('warning: with a fixed --msg-id on reused connections, a stale reply cannot be told from a fresh one'))
    }
    // --report: opened now, so a path that cannot be written fails before the run.
    const opened = reports?.LoadReportFile.open(flags.report!, {
      method: prepared.wireName,
      addr: flags.addrText,
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
    if (opened !== undefined && !opened.ok) this.fail(opened.error)
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
      this.fail(r.error)
    }
    const report = r.value
    if (reportFile !== undefined) {
      const written = await reportFile.write(report)
      if (!written.ok) this.fail(written.error)
      this.logToStderr(colorsFor(process.stderr).dim(reports!.writtenText(written.value)))
    }
    if (writer !== undefined && flags.format === 'json') writer.finish(render.loadReportToJson(report))
    else if (writer !== undefined) {
      // csv: stdout holds only the records (`> calls.csv`); the summary is for the person watching.
      writer.finish()
      for (const line of render.renderLoadReport(report, {colors: colorsFor(process.stderr, process.env, colorChoice(flags))})) this.logToStderr(line)
    } else for (const line of render.renderLoadReport(report, {colors: colorsFor(process.stdout, process.env, colorChoice(flags))})) this.log(line)
    const unanswered = report.transportErrors.reduce((n, e) => n + e.count, 0)
    const serverErrors = report.serverErrors.reduce((n, e) => n + e.count, 0)
    if (unanswered > 0) this.error(`${unanswered} of ${report.calls} calls got no answer`, {exit: EXIT_TRANSPORT, code: 'UNANSWERED'})
    if (serverErrors > 0) this.error(`${serverErrors} of ${report.calls} calls answered with err_code != 0`, {exit: EXIT_SERVER_ERROR, code: 'SERVER_ERROR'})
    return report
  }
}
