import {BaseCommand} from '../src/cli/index.js'
import {fromSsFlags, withWatchDefault} from '../src/cli/sockets-argv.js'
import {writeJsonLine} from '../src/render/json-chunks.js'
import {runSocketsCommand, socketsArgs, socketsFlags} from '../src/sockets-command/index.js'
import type {SocketsReport} from '../src/sockets/index.js'

export type {SocketsWatchJson} from '../src/sockets-command/index.js'

/**
 * `rpcdiag sockets`: the ss/netstat/lsof view for someone whose RPC service
 * misbehaves. The work is in src/sockets (collect, filter, summary, diagnoses)
 * and src/render/sockets-*; the wiring is src/sockets-command, which bin/run.js
 * also runs directly, without oclif's Config, when nothing could change what
 * oclif would do (src/cli/direct-run.ts).
 */
export default class Sockets extends BaseCommand {
  static override summary = 'List TCP, UDP and Unix sockets with their state, queues and owning process, and explain what looks wrong'

  static override description = `Reads the kernel's tables directly (/proc/net/tcp, tcp6, udp, udp6, unix) and /proc/PID/fd for the owners, like ss -tuanp. Send-Q and Recv-Q are as ss shows them; on a LISTEN socket they are the accept queue and its backlog.

A row without a pid says why: "- kernel" (TIME-WAIT, SYN-RECV and orphans belong to no process), "? uid N: run as root" (another user's process), or "? not visible" (another pid namespace).

After the table comes a summary per state, like ss -s, and warnings that say what a pattern usually means: CLOSE-WAIT piling up on a server port (rocket never closes its connections), TIME-WAIT piling up on a client (one connection per call), a full accept queue or SYN-RECV on a listener, and large Recv-Q or Send-Q.

Filters combine: values of one flag are alternatives, different flags must all match.

The arguments are ss's filter, as ss(8) takes it: [state STATE | exclude STATE]... then an expression of sport/dport OP :PORT (OP: = != < > <= >=, or eq neq lt gt le ge), src/dst ADDRESS[/LEN][:PORT] (IPv6 in brackets with a port: [::1]:12346), not, and, or and parentheses. As in ss, and/or bind equally from left to right: use parentheses. States: the TCP states as ss spells them (established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, close-wait, last-ack, listening, closing, closed) and ss's groups: all, connected (all but listening and closed), synchronized (connected but syn-sent), bucket (syn-recv, time-wait), big (all but bucket). A bad filter fails with the column it went wrong at.

ss's flags work as ss users type them: -t, -u, -l, -4, -6, -x, -e (uid and inode columns), and bundles such as -tanp or -lntu; -a (all states), -n (numeric) and -p (processes) are what rpcdiag always shows. A -p followed by a port is --port, a -n followed by a number is --count. --json prints {collectedAt, source, filter, sockets, summary, warnings, groups?, unix?, processes, notes} (see src/sockets/report.ts); with --watch, one such object per line with "tick" and "changes".`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --port 12345',
    "<%= config.bin %> <%= command.id %> -tanp state close-wait '( sport = :12346 )'",
    "<%= config.bin %> <%= command.id %> state connected 'dport = :12345 or src 10.0.0.0/8'",
    '<%= config.bin %> <%= command.id %> --state close-wait --state time-wait',
    '<%= config.bin %> <%= command.id %> --listen --tcp -4',
    '<%= config.bin %> <%= command.id %> --process rocket --watch 1',
    '<%= config.bin %> <%= command.id %> --tinypb',
    '<%= config.bin %> <%= command.id %> --unix --process node',
    '<%= config.bin %> <%= command.id %> --port 12345 --json | jq \'.summary.tcp.states\'',
    '<%= config.bin %> <%= command.id %> --netns $(docker inspect -f \'{{.State.Pid}}\' web1) --tinypb',
  ]

  static override enableJsonFlag = true

  // The filter is any number of words (ss takes them so): read in order from the parse's raw tokens.
  static override strict = false

  static override args = socketsArgs

  static override flags = socketsFlags

  public async run(): Promise<SocketsReport | undefined> {
    const argv = fromSsFlags(withWatchDefault(this.argv))
    if (!argv.ok) this.fail(argv.error)
    const {flags, raw} = await this.parse(Sockets, argv.value)
    const words = raw.filter((t) => t.type === 'arg').map((t) => t.input)
    return runSocketsCommand(flags, words, {
      json: this.jsonEnabled(),
      log: (line) => this.log(line),
      logToStderr: (line) => this.logToStderr(line),
      error: (message, opts) => this.error(message, opts),
      logJson: (json) => this.logJson(json),
    })
  }

  /**
   * oclif colourises JSON with a regex tokenizer that took 1.7 s for 20,000
   * rows, and its ux.stdout goes through console.log and util.format. Piped
   * output needs none of that, and one line per object is what --watch --json
   * must print (NDJSON), so it is written as is, a chunk at a time
   * (writeJsonLine: no string of the whole 8 MB of 30,000 rows).
   */
  protected override logJson(json: unknown): void {
    if (process.stdout.isTTY !== true) return writeJsonLine(process.stdout, json)
    const text = JSON.stringify(json)
    if (text.length < 200_000) super.logJson(json)
    else process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }
}
