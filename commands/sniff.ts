import {Flags} from '@oclif/core'

import {BaseCommand, colorChoice, colorFlags, durationFlag, EXIT_FINDINGS, portFlag, protoFlags, schemaFromFlags, sizeFlag} from '../src/cli/index.js'
import {habitHint} from '../src/cli/habits.js'
import {UsageError} from '../src/errors.js'
import {DEFAULT_TIMEOUT_MS} from '../src/net/deadline.js'
import {DEFAULT_MAX_BUFFERED, DEFAULT_MAX_HELD_BYTES} from '../src/sniff/reassembly/limits.js'
import type {SniffSummary} from '../src/sniff/index.js'

/**
 * `rpcdiag sniff`: capture (live, or from a pcap/pcapng file) and decode TinyPB
 * calls. The pipeline lives in src/capture (openCapture -> runCapture ->
 * SniffSession), the output in src/render/sniff-*; this wires flags to them.
 * oclif's global --json is off: --json here streams NDJSON, one event a line.
 */
export default class Sniff extends BaseCommand {
  static override summary = 'Capture TinyPB traffic and show each call: latency, errors, and what went unanswered and why'

  static override description = `Reads packets live (through a capture process, dumpcap or tcpdump, which stamps them with the kernel's time; or libpcap in this process through the cap addon when neither is installed) or from a pcap/pcapng file, reassembles each TCP connection, decodes TinyPB frames with the same decoder the client uses, and pairs requests with replies by msg_id.

Flagged: requests unanswered at --timeout or at the end (with the likely rocket causes: a read of 128 bytes or more, which rocket loses, whether one large frame or small frames in one segment; unknown service or method; FIN right after the request; a handler that never ran done), duplicate replies (rocket re-sends old replies on a reused connection), replies without a request, msg_ids reused in flight, err_code != 0 with its name, malformed frames and skipped bytes, retransmissions with different data, frames that would crash or misroute rocket or tinyrpc, servers that never close after the client's FIN and the stale sockets a client reusing their ports meets (challenge ACK, reset, retried SYN), and bytes the capture lost or cut.

A call touched by bytes the capture lost, cut (snap length) or dropped, or by a retransmission with different data, is reported uncertain with the reason, never unanswered or as a reply without request. The summary counts every captured payload byte once: decoded, skipped, in frames cut by gaps, retransmitted, or on no connection.

At the end (or on Ctrl-C, which also closes the --write file) a summary like tshark -z rpc,srt: per method calls, answered, errors and response times.

Habits from tcpdump and tshark: words after the flags are a capture filter (pcap-filter(7), ANDed with --port, --host and -f); -n is accepted; -Y EXPR shows only the calls an expression matches; -T fields -e NAME ... -E separator=, prints fields; -q prints the summary alone. Repeated findings (SERVER_NO_FIN on one server, twenty times) print once, with a count in the summary; -v prints every one.

-Y and -e fields: time (epoch seconds), state (ok, error, unanswered, duplicate, uncertain, orphan), method, service, msg_id, latency (ms; -Y takes units: latency > 5ms), waited, err_code, err_name, err_info, cause, reason, late, req.size, resp.size, client, server, client.addr, client.port, server.addr, server.port, conn, client.process, server.process, process (either end); with --proto, payload fields by name: req.price, resp.order_id. Operators: == != < <= > >= contains matches (a regular expression), && and || or ! not, parentheses. A field a call does not have compares false (an unanswered call has no latency). With -Y the summary still counts every call captured, and says how many of them matched.

--fail-on KINDS exits ${EXIT_FINDINGS} after the summary when the capture showed any of them (for CI); 0 when none, 1 when the capture failed, 2 on bad flags.

Human output fits the terminal (the middle of long fields gives way to …; $COLUMNS is honoured as ls does); a pipe gets full lines. --format csv and -T fields write times as epoch seconds with six decimals, as --json's ts; their summary goes to stderr.

--metrics [HOST:]PORT serves the same findings as Prometheus metrics at /metrics (requests, responses by err_code, unanswered by cause, a latency histogram, CLOSE_WAIT, capture health); with --metrics-only nothing else is printed, to run as a per-host agent (examples/systemd). --netns captures inside a container's network namespace.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> -i lo --port 12345',
    '<%= config.bin %> <%= command.id %> --read capture.pcap --proto examples/order.proto -v',
    '<%= config.bin %> <%= command.id %> --read capture.pcapng --json | jq -c \'select(.type=="unanswered")\'',
    'tcpdump -i any -U -w - port 12345 | <%= config.bin %> <%= command.id %> --read -',
    '<%= config.bin %> <%= command.id %> -i any --port 12345 -w calls.pcap --duration 60',
    '<%= config.bin %> <%= command.id %> --list-interfaces',
    '<%= config.bin %> <%= command.id %> -i lo -n tcp port 12346',
    '<%= config.bin %> <%= command.id %> -r capture.pcap -Y \'method == "Order.makeOrder" && (err_code != 0 || latency > 5ms || state == unanswered)\'',
    '<%= config.bin %> <%= command.id %> -r capture.pcap -T fields -e time -e method -e latency -E separator=, -E header=y',
    '<%= config.bin %> <%= command.id %> -r capture.pcap --format csv > calls.csv',
    '<%= config.bin %> <%= command.id %> -r capture.pcap -q --fail-on unanswered,error',
    '<%= config.bin %> <%= command.id %> -i any --port 12345 --metrics 0.0.0.0:9464 --metrics-only',
    '<%= config.bin %> <%= command.id %> --netns $(docker inspect -f \'{{.State.Pid}}\' web1) -i any --port 12345',
  ]

  /** Words after the flags are a capture filter, as tcpdump's: `rpcdiag sniff -i lo tcp port 12346`. */
  static override strict = false

  static override usage = '<%= command.id %> [FLAGS] [CAPTURE FILTER...]'

  static override flags = {
    interface: Flags.string({char: 'i', description: 'interface to capture on (default: any)', exclusive: ['read']}),
    'list-interfaces': Flags.boolean({char: 'D', description: 'list the interfaces a live capture can use, and exit'}),
    read: Flags.string({char: 'r', description: 'read a pcap or pcapng file instead of capturing (- reads stdin)'}),
    write: Flags.string({char: 'w', description: 'also write the captured packets to FILE as pcap (mode 0600)'}),
    port: portFlag('TCP port (or range 8000-8010) of the server; also tells which side is the server'),
    host: Flags.string({description: 'only traffic to or from this host or network (CIDR); repeatable', multiple: true, multipleNonGreedy: true}),
    filter: Flags.string({char: 'f', description: 'a pcap-filter(7) expression ANDed with --port and --host'}),
    count: Flags.integer({char: 'c', description: 'stop after N packets', min: 1}),
    duration: durationFlag({description: 'stop after this long', bare: 's', minMs: 1}),
    protocol: Flags.option({options: ['auto', 'tinypb', 'string'] as const, default: 'auto' as const, description: 'auto: decided per connection from its first bytes'})(),
    timeout: durationFlag({char: 't', description: 'how long a request may wait for its reply before it is reported unanswered', bare: 'ms', default: DEFAULT_TIMEOUT_MS, minMs: 1}),
    ...protoFlags,
    verbose: Flags.boolean({char: 'v', description: 'show decoded payloads (schema-less without --proto), every likely cause, connections opening and closing'}),
    hex: Flags.boolean({char: 'x', description: 'show each frame in hex'}),
    frames: Flags.boolean({description: 'a line for every frame as it is decoded, besides one per call'}),
    json: Flags.boolean({description: 'the same as --format ndjson'}),
    format: Flags.option({
      char: 'T',
      options: ['text', 'ndjson', 'json', 'csv', 'tsv', 'fields'] as const,
      description: 'text: a line per call (default); ndjson (or json): one object per event, the summary last; csv, tsv: a row of fields per call with a header; fields: as tshark -T fields (tabs, no header; -E changes that)',
    })(),
    field: Flags.string({char: 'e', multiple: true, multipleNonGreedy: true, description: 'a field to print with -T fields or --format csv|tsv (repeatable; the names -Y takes)'}),
    'field-option': Flags.string({char: 'E', multiple: true, multipleNonGreedy: true, description: "tshark's -E: header=y|n, separator=,|/t|/s, quote=d|s|n, aggregator=X", helpValue: 'NAME=VALUE'}),
    'display-filter': Flags.string({char: 'Y', description: 'show only the calls this expression matches (tshark -Y): method == "Order.makeOrder" && (err_code != 0 || latency > 5ms)', helpValue: 'EXPR'}),
    quiet: Flags.boolean({char: 'q', description: 'print the summary alone, no line per call (tshark -q)'}),
    'fail-on': Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: `exit ${EXIT_FINDINGS} when the capture shows any of these (comma-separated): unanswered, error, malformed, duplicate, uncertain, peer-safety, or any; calls are counted as -Y shows them`,
      helpValue: 'KINDS',
    }),
    numeric: Flags.boolean({char: 'n', description: 'accepted, as tcpdump and ss take it: rpcdiag never resolves names or ports'}),
    summary: Flags.boolean({description: 'print the summary at the end', default: true, allowNo: true}),
    histogram: Flags.boolean({description: 'add a response-time histogram to the summary'}),
    'buffer-limit': sizeFlag({description: 'per connection: out-of-order bytes held, and the largest frame accepted', default: DEFAULT_MAX_HELD_BYTES, min: 1024, max: 2 ** 31}),
    'max-buffered': sizeFlag({
      description: 'across connections: partial frames and out-of-order bytes held; over it, the connection holding most gives them up (counted as dropped, never decoded)',
      default: DEFAULT_MAX_BUFFERED,
      min: 1024,
      max: 2 ** 40,
    }),
    backend: Flags.option({
      options: ['auto', 'dumpcap', 'tcpdump', 'cap'] as const,
      default: 'auto' as const,
      description: 'live capture through a dumpcap or tcpdump child (kernel timestamps), or libpcap in this process (cap: timestamps taken in JavaScript); auto: the first of these that captures',
    })(),
    snaplen: Flags.integer({char: 's', description: 'bytes kept of each packet (live; default 262144, which covers every MTU; cap keeps at most 65535)', min: 64}),
    processes: Flags.boolean({description: 'name the process behind each end of a live connection', default: true, allowNo: true}),
    ...colorFlags,
    report: Flags.string({description: 'also write a self-contained HTML report to FILE: latency charts, histograms, ladder diagrams, the calls in doubt'}),
    metrics: Flags.string({
      description: 'serve Prometheus metrics at http://[HOST:]PORT/metrics while capturing (HOST defaults to 127.0.0.1; 0.0.0.0:9464 for every interface)',
      helpValue: '[HOST:]PORT',
    }),
    'metrics-only': Flags.boolean({description: 'with --metrics: print nothing else (no calls, no summary), to run as a long-lived agent', dependsOn: ['metrics']}),
    'metrics-max-methods': Flags.integer({description: 'with --metrics: distinct method names with series of their own; the rest share "other" (default 100)', min: 1, max: 10_000, dependsOn: ['metrics']}),
    netns: Flags.string({
      description: "capture in this network namespace: a name (ip netns list), a pid (a container's: docker inspect -f '{{.State.Pid}}'), or a path like /proc/PID/ns/net; needs a capture process (tcpdump)",
      exclusive: ['read', 'list-interfaces'],
      helpValue: 'NAME|PID|PATH',
    }),
  }

  public async run(): Promise<SniffSummary | undefined> {
    const {flags, raw} = await this.parse(Sniff)
    const [{runSniffCommand}, {parseFailOn}] = await Promise.all([import('../src/sniff-command/index.js'), import('../src/sniff/fail-on.js')])
    // Not strict: the words after the flags are a capture filter, as tcpdump takes them. A word like a flag is a typo, not a filter.
    // From raw, in the order typed: oclif's argv misorders repeated words ("src port 1 and dst port 2").
    const words = raw.filter((t) => t.type === 'arg').map((t) => t.input)
    const stray = words.find((w) => w.startsWith('-'))
    if (stray !== undefined) this.fail(new UsageError('BAD_FLAGS', `unknown flag ${stray}`))
    // ss's words (state close-wait, sport = :80) belong to sockets.
    const habit = habitHint(this.config.bin, words, 'sniff')
    if (habit !== undefined) this.fail(new UsageError('BAD_ARGS', `unexpected arguments ${words.join(' ')}: that is ${habit.what}`, {hint: `try: ${habit.instead}`}))
    const failOn = parseFailOn(flags['fail-on'] ?? [])
    if (!failOn.ok) this.fail(failOn.error)
    const schema = await schemaFromFlags(flags)
    if (!schema.ok) this.fail(schema.error)
    const format = flags.json ? 'ndjson' : flags.format === 'json' ? 'ndjson' : (flags.format ?? 'text')
    const r = await runSniffCommand(
      {
        listInterfaces: flags['list-interfaces'],
        read: flags.read,
        interface: flags.interface,
        write: flags.write,
        ports: flags.port,
        hosts: flags.host,
        filter: flags.filter,
        filterWords: words,
        count: flags.count,
        durationMs: flags.duration,
        protocol: flags.protocol,
        timeoutMs: flags.timeout,
        schema: schema.value,
        verbose: flags.verbose,
        hex: flags.hex,
        frames: flags.frames,
        format,
        fields: flags.field ?? [],
        fieldOptions: flags['field-option'] ?? [],
        displayFilter: flags['display-filter'],
        quiet: flags.quiet,
        metricsOnly: flags['metrics-only'],
        summary: flags.summary,
        histogram: flags.histogram,
        failOn: failOn.value,
        bufferLimit: flags['buffer-limit'],
        maxBuffered: flags['max-buffered'],
        backend: flags.backend,
        snaplen: flags.snaplen,
        processes: flags.processes,
        report: flags.report,
        metrics: flags.metrics,
        metricsMaxMethods: flags['metrics-max-methods'],
        netns: flags.netns,
      },
      {stdout: process.stdout, stderr: process.stderr, log: (line) => this.logToStderr(line), env: process.env, color: colorChoice(flags)},
    )
    if (!r.ok) this.fail(r.error)
    return r.value
  }
}
