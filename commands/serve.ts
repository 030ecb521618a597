import {readFileSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {aborted, BaseCommand, colorChoice, colorFlags, durationFlag, protoFlags, schemaFromFlags, sizeFlag, untilSignal} from '../src/cli/index.js'
import {UsageError} from '../src/errors.js'
import {keepMemoryReturnable} from '../src/net/long-running.js'
import type {ServeStats} from '../src/rpc/server.js'
import {DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_BUFFERED} from '../src/rpc/server-limits.js'

/**
 * `rpcdiag serve`: the embedded TinyPB server. Thin: flags -> startServer ->
 * one log line (or NDJSON object) per event, until SIGINT or SIGTERM.
 */
export default class Serve extends BaseCommand {
  static override summary = 'Run a TinyPB test server: scripted responses, fault injection, one log line per request'

  static override description = `Dispatches by method_name and answers with the scripted response from --responses, or with every field at its default. Framework errors are answered the way tinyrpc words them: 10000010 (no dot in the name), 10000008 (unknown service), 10000009 (unknown method), 10000003 (a payload that does not parse). Beware: real tinyrpc sends 10000004 (ERROR_FAILED_SERIALIZE) for a payload that does not parse, with the same text, and rocket sends nothing at all; serve's err_info says so too. Malformed input is logged and skipped. Stops cleanly on SIGINT and SIGTERM.

--responses file.json maps a method to a fixed response (a JSON object) or to a list of rules tried in order:
  {"Order.makeOrder": [{"when": {"price": {"$gte": 10}}, "response": {"order_id": "20230514"}},
                       {"response": {"ret_code": -1, "res_info": "short balance"}}]}
A rule may also set err_code, err_info, delay_ms and no_reply. Operators: $eq $ne $gt $gte $lt $lte $in $nin $regex $exists.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --proto examples/order.proto --responses examples/order-responses.json --port 12345',
    '<%= config.bin %> <%= command.id %> --proto examples/order.proto --no-reply',
    '<%= config.bin %> <%= command.id %> --proto examples/order.proto --close-after-bytes 20 --json',
  ]

  static override flags = {
    ...protoFlags,
    host: Flags.string({description: 'address to listen on (0.0.0.0 or :: for every interface)', default: '127.0.0.1'}),
    port: Flags.integer({char: 'p', description: 'port to listen on (0 picks a free one)', default: 12345, min: 0, max: 65_535}),
    responses: Flags.string({char: 'r', description: 'JSON file of scripted responses per method'}),
    delay: durationFlag({description: 'wait this long before each reply', bare: 'ms', minMs: 0}),
    'error-code': Flags.integer({description: 'answer every request with this err_code and an empty pb_data'}),
    'error-info': Flags.string({description: 'err_info text to go with --error-code', dependsOn: ['error-code']}),
    'no-reply': Flags.boolean({description: 'never answer (what rocket does after a dispatch error)'}),
    'close-after-bytes': Flags.integer({description: 'close each connection once this many reply bytes are written (mid-frame)', min: 0}),
    'resend-replies': Flags.boolean({description: "re-send every earlier reply before each new one on a connection, like rocket (stale duplicates)"}),
    'max-buffered': sizeFlag({
      description: 'input buffered across all connections (unfinished frames); past it the connection holding the most is closed',
      default: DEFAULT_MAX_BUFFERED,
    }),
    'idle-timeout': Flags.integer({
      helpValue: 'MS',
      description: 'ms a connection may stay silent, or hold a frame (or garbage) that does not complete, before it is closed; 0 never',
      default: DEFAULT_IDLE_TIMEOUT_MS,
      min: 0,
    }),
    json: Flags.boolean({description: 'log NDJSON: one JSON object per event'}),
    quiet: Flags.boolean({char: 'q', description: 'no per-request log lines'}),
    verbose: Flags.boolean({char: 'v', description: 'also log connects and disconnects'}),
    ...colorFlags,
  }

  public async run(): Promise<ServeStats> {
    const {flags} = await this.parse(Serve)
    await keepMemoryReturnable()
    const [{startServer}, log, {colorsFor}, {formatAddr}, {epochSecondsFromMs}] = await Promise.all([
      import('../src/rpc/server.js'),
      import('../src/render/serve-log.js'),
      import('../src/render/color.js'),
      import('../src/net/net-addr.js'),
      import('../src/render/timestamp.js'),
    ])
    const loaded = await schemaFromFlags(flags)
    if (!loaded.ok) this.fail(loaded.error)
    const schema = loaded.value
    let script
    if (flags.responses !== undefined) {
      if (schema === undefined) this.fail(new UsageError('NO_SCHEMA', '--responses needs the .proto of the methods it scripts: --proto FILE'))
      const {parseResponses} = await import('../src/rpc/responses.js')
      let text: string
      try {
        text = readFileSync(flags.responses, 'utf8')
      } catch (e) {
        this.fail(new UsageError('BAD_RESPONSES', `cannot read ${flags.responses}: ${(e as Error).message}`))
      }
      const parsed = parseResponses(text, schema, flags.responses)
      if (!parsed.ok) this.fail(parsed.error)
      script = parsed.value
    }

    const colors = colorsFor(process.stdout, process.env, colorChoice(flags))
    const errColors = colorsFor(process.stderr, process.env, colorChoice(flags))
    const started = await startServer({
      host: flags.host,
      port: flags.port,
      schema,
      script,
      faults: {
        delayMs: flags.delay,
        errCode: flags['error-code'],
        errInfo: flags['error-info'],
        noReply: flags['no-reply'],
        closeAfterBytes: flags['close-after-bytes'],
        resendReplies: flags['resend-replies'],
      },
      logBodies: !flags.quiet,
      limits: {maxBuffered: flags['max-buffered'], idleTimeoutMs: flags['idle-timeout']},
      onEvent: flags.quiet
        ? undefined
        : flags.json
          ? (e) => this.log(log.serveEventToJson(e))
          : (e) => {
              const line = log.renderServeEvent(e, {colors, verbose: flags.verbose})
              if (line !== undefined) this.log(line)
            },
    })
    if (!started.ok) this.fail(started.error)
    const server = started.value
    const where = formatAddr(server.address)
    const methods = schema?.methods.map((m) => m.fullName) ?? []
    if (flags.json) this.log(JSON.stringify({type: 'listening', ts: epochSecondsFromMs(Date.now()), address: where, methods}))
    else {
      const what = methods.length > 0 ? methods.join(', ') : 'any Service.method (no .proto: empty responses)'
      this.logToStderr(errColors.bold(`listening on ${where}`) + errColors.dim(` serving ${what}; Ctrl-C stops`))
    }

    const stop = untilSignal()
    await aborted(stop.signal)
    const signal = stop.received ?? 'SIGTERM'
    await server.close(1000)
    stop.dispose()
    const s = server.stats
    if (flags.json) this.log(JSON.stringify({type: 'stopped', ts: epochSecondsFromMs(Date.now()), signal, ...s}))
    else this.logToStderr(errColors.dim(log.renderServeSummary(signal, s)))
    return {...s}
  }
}
