import {BaseCommand} from '../src/cli/index.js'
import {callArgs, callFlags, runCallCommand} from '../src/call-command/index.js'
import type {CallResult} from '../src/rpc/call.js'
import type {LoadReport} from '../src/rpc/load-test.js'

/**
 * `rpcdiag call METHOD`: one TinyPB call, or a small load test with --repeat.
 * oclif's global --json is off here: --json is the request body; --format json
 * is the machine-readable output. The wiring is src/call-command, which bin/run.js also
 * runs directly, without oclif's Config, when nothing could change what oclif
 * would do (src/cli/direct-run.ts).
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

  static override args = callArgs

  static override flags = callFlags

  public async run(): Promise<CallResult | LoadReport> {
    const {args, flags} = await this.parse(Call)
    return runCallCommand(args, flags, this)
  }
}
