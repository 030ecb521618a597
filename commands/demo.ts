import {Flags} from '@oclif/core'

import {BaseCommand, colorChoice, colorFlags, durationFlag} from '../src/cli/index.js'

/**
 * `rpcdiag demo`: everything rpcdiag does, on this machine, with nothing else
 * running. Thin: runDemo (src/demo) does the work, src/render/demo.ts prints it.
 */
export default class Demo extends BaseCommand {
  static override summary = 'Show everything rpcdiag does, on this machine: a test server, live capture, calls, and the socket table'

  static override description = `Starts the embedded TinyPB server (examples/order.proto) on a free loopback port, captures that port live, and fires calls through the embedded client: a good one, one answered with an error code, one the server leaves unanswered (so the timeout diagnosis shows), and a short --repeat burst. Then prints the call results, the transactions the capture saw with the summary table and latency histogram, and the sockets of the port. Everything it opened is closed, and checked closed, before it exits.

Live capture needs root (or setcap on node, see the README); without it the demo says why in one line and goes on without that part.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json | jq .sniff.summary']

  static override enableJsonFlag = true

  static override flags = {
    timeout: durationFlag({description: 'how long the client waits for the call the server leaves unanswered', bare: 'ms', default: 500, minMs: 50}),
    repeat: Flags.integer({description: 'calls in the burst', default: 200, min: 1}),
    concurrency: Flags.integer({description: 'connections in the burst', default: 4, min: 1}),
    capture: Flags.boolean({description: 'capture the demo port live (needs root or setcap)', default: true, allowNo: true}),
    ...colorFlags,
  }

  public async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Demo)
    const [{runDemo}, render, {colorsFor}] = await Promise.all([import('../src/demo/run-demo.js'), import('../src/render/demo.js'), import('../src/render/color.js')])
    const errColors = colorsFor(process.stderr, process.env, colorChoice(flags))
    const progress = this.jsonEnabled() ? undefined : (line: string) => this.logToStderr(errColors.dim(`rpcdiag demo: ${line}`))
    let result
    try {
      result = await runDemo({
        root: this.config.root,
        timeoutMs: flags.timeout,
        repeat: flags.repeat,
        concurrency: flags.concurrency,
        capture: flags.capture,
        progress,
      })
    } catch (error) {
      this.fail(error)
    }
    if (!this.jsonEnabled()) for (const line of render.renderDemo(result, colorsFor(process.stdout, process.env, colorChoice(flags)))) this.log(line)
    if (!result.cleanup.ok) this.error('the demo left sockets or processes behind (listed above)', {exit: 1, code: 'DEMO_FAILED'})
    return render.demoToJson(result)
  }
}
