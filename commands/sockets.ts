import {Args, Flags, type Interfaces} from '@oclif/core'

import {BaseCommand, colorChoice, colorFlags, parseDuration, portFlag, untilSignal} from '../src/cli/index.js'
import {fromSsFlags, withWatchDefault} from '../src/cli/sockets-argv.js'
import type {SocketChange, SocketsReport, UnixSocketChange} from '../src/sockets/index.js'

/** One --watch refresh as --json prints it (one per line): the report plus what changed. */
export type SocketsWatchJson = SocketsReport & {
  readonly tick: number
  readonly changes: readonly SocketChange[]
  /** With --unix. */
  readonly unixChanges?: readonly UnixSocketChange[]
}

/**
 * `rpcdiag sockets`: the ss/netstat/lsof view for someone whose RPC service
 * misbehaves. The work is in src/sockets (collect, filter, summary, diagnoses)
 * and src/render/sockets-*; modules load lazily so other commands start fast.
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

  static override args = {
    filter: Args.string({description: "ss's filter: [state STATE]... [EXPRESSION], e.g. state close-wait '( sport = :12346 )'"}),
  }

  static override flags = {
    port: portFlag('local or peer port, or a range like 8000-8100'),
    state: Flags.string({
      char: 's',
      description:
        'listen, established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, close-wait, last-ack, closing, closed, and the groups connected, synchronized, bucket, big, all (repeatable)',
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
      exclusive: ['listen'],
    }),
    pid: Flags.string({description: 'owning process id (repeatable)', multiple: true, multipleNonGreedy: true, delimiter: ','}),
    process: Flags.string({char: 'P', description: 'owning process name, or part of it (repeatable)', multiple: true, multipleNonGreedy: true}),
    listen: Flags.boolean({char: 'l', description: 'listeners only (TCP LISTEN, unconnected UDP)'}),
    tcp: Flags.boolean({char: 't', description: 'TCP sockets (default: TCP and UDP)'}),
    udp: Flags.boolean({char: 'u', description: 'UDP sockets (default: TCP and UDP)'}),
    ipv4: Flags.boolean({char: '4' as never, description: 'IPv4 only'}),
    ipv6: Flags.boolean({char: '6' as never, description: 'IPv6 only'}),
    unix: Flags.boolean({char: 'x', description: 'Unix domain sockets: path, type, state, inode, pid (with --tcp/--udp: both)'}),
    extended: Flags.boolean({char: 'e', description: 'add the uid and inode columns (ss -e)'}),
    tinypb: Flags.boolean({description: 'group by TinyPB server port (the --port values, else 12345 rocket, 39999 tinyrpc and $RPCDIAG_TINYPB_PORTS): clients, states, queues'}),
    watch: Flags.string({char: 'w', description: 'refresh every INTERVAL (default 2s; 500ms, 5s, 1m; a bare number is seconds) and show what changed: new, closed, state changes', helpValue: '[INTERVAL]'}),
    netns: Flags.string({
      description: "list the sockets of this network namespace: a name (ip netns list), a pid (a container's: docker inspect -f '{{.State.Pid}}'), or a path like /proc/PID/ns/net; owners are named across namespaces",
      helpValue: 'NAME|PID|PATH',
    }),
    count: Flags.integer({char: 'n', description: 'with --watch: stop after N refreshes', min: 1, dependsOn: ['watch']}),
    source: Flags.option({options: ['auto', 'proc', 'systeminformation'] as const, default: 'auto' as const, hidden: true, description: 'where to read the socket table'})(),
    ...colorFlags,
  }

  public async run(): Promise<SocketsReport | undefined> {
    const argv = fromSsFlags(withWatchDefault(this.argv))
    if (!argv.ok) this.fail(argv.error)
    const {flags, raw} = await this.parse(Sockets, argv.value)
    const sockets = await import('../src/sockets/index.js')
    const filter = sockets.parseSocketFilter({
      port: flags.port,
      state: flags.state,
      pid: flags.pid,
      process: flags.process,
      listen: flags.listen,
      tcp: flags.tcp,
      udp: flags.udp,
      ipv4: flags.ipv4,
      ipv6: flags.ipv6,
      expression: raw.filter((t) => t.type === 'arg').map((t) => t.input),
    })
    if (!filter.ok) this.fail(filter.error)
    let netns: import('../src/netns/index.js').NetnsAccess | undefined
    if (flags.netns !== undefined) {
      // The namespace's tables through a process inside; ss (listen backlogs) runs inside it.
      const opened = await (await import('../src/netns/index.js')).openNetns(flags.netns, {tables: true})
      if (!opened.ok) this.fail(opened.error)
      netns = opened.value
    }
    try {
      return await this.list(flags, filter.value, netns)
    } finally {
      netns?.close()
    }
  }

  private async list(
    flags: Interfaces.InferredFlags<typeof Sockets.flags>,
    filterValue: import('../src/sockets/index.js').SocketFilter,
    netns: {netDir: string | undefined; commandPrefix: readonly string[]} | undefined,
  ): Promise<SocketsReport | undefined> {
    const [sockets, render, {colorsFor}] = await Promise.all([
      import('../src/sockets/index.js'),
      import('../src/render/sockets/report.js'),
      import('../src/render/color.js'),
    ])
    const opts = {
      filter: filterValue,
      unix: flags.unix,
      inet: !flags.unix || flags.tcp === true || flags.udp === true,
      tinypb: flags.tinypb || undefined,
      source: netns === undefined ? flags.source : ('proc' as const),
      netDir: netns?.netDir,
      commandPrefix: netns?.commandPrefix,
    }
    const colors = colorsFor(process.stdout, process.env, colorChoice(flags))
    const renderOpts = {inet: opts.inet, extended: flags.extended}

    if (flags.watch === undefined) {
      const {report} = await sockets.socketsReport(opts)
      // One write: 20,000 rows as 20,000 log calls cost more than collecting them.
      if (!this.jsonEnabled()) this.log(render.renderSocketsReport(report, colors, renderOpts).join('\n'))
      return report
    }

    const interval = parseDuration(flags.watch, '--watch', {bare: 's', minMs: 100, maxMs: 86_400_000})
    if (!interval.ok) this.fail(interval.error)
    const seconds = interval.value / 1000
    const stop = untilSignal()
    const tty = process.stdout.isTTY === true
    try {
      await sockets.watchSockets({...opts, intervalMs: interval.value, count: flags.count, signal: stop.signal}, (t) => {
        const frame: SocketsWatchJson = {...t.report, tick: t.tick, changes: t.changes, ...(opts.unix ? {unixChanges: t.unixChanges} : {})}
        if (this.jsonEnabled()) this.logJson(frame)
        else this.log(render.renderWatchFrame(t, colors, {seconds, tty, ...renderOpts}).join('\n'))
      })
    } finally {
      stop.dispose()
    }
    return undefined
  }

  /**
   * oclif colourises JSON with a regex tokenizer that took 1.7 s for 20,000
   * rows, and its ux.stdout goes through console.log and util.format. Piped
   * output needs none of that, and one line per object is what --watch --json
   * must print (NDJSON), so it is written as is.
   */
  protected override logJson(json: unknown): void {
    const text = JSON.stringify(json)
    if (process.stdout.isTTY !== true) process.stdout.write(`${text}\n`)
    else if (text.length < 200_000) super.logJson(json)
    else process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }
}
