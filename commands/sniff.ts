import {Flags} from '@oclif/core'

import {BaseCommand, colorChoice, colorFlags, durationFlag, portFlag, protoFlags, type ProtoFlagValues, schemaFromFlags, sizeFlag, untilSignal} from '../src/cli/index.js'
import {DEFAULT_TIMEOUT_MS} from '../src/net/deadline.js'
import {DEFAULT_MAX_BUFFERED, DEFAULT_MAX_HELD_BYTES} from '../src/sniff/reassembly/reassembler.js'
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

--metrics [HOST:]PORT serves the same findings as Prometheus metrics at /metrics (requests, responses by err_code, unanswered by cause, a latency histogram, CLOSE_WAIT, capture health); with -q nothing else is printed, to run as a per-host agent (examples/systemd). --netns captures inside a container's network namespace.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> -i lo --port 12345',
    '<%= config.bin %> <%= command.id %> --read capture.pcap --proto examples/order.proto -v',
    '<%= config.bin %> <%= command.id %> --read capture.pcapng --json | jq -c \'select(.type=="unanswered")\'',
    'tcpdump -i any -U -w - port 12345 | <%= config.bin %> <%= command.id %> --read -',
    '<%= config.bin %> <%= command.id %> -i any --port 12345 -w calls.pcap --duration 60',
    '<%= config.bin %> <%= command.id %> --list-interfaces',
    '<%= config.bin %> <%= command.id %> -i any --port 12345 --metrics 0.0.0.0:9464 -q',
    '<%= config.bin %> <%= command.id %> --netns $(docker inspect -f \'{{.State.Pid}}\' web1) -i any --port 12345',
  ]

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
    json: Flags.boolean({description: 'NDJSON: one object per event with a "type"; the summary is the last line'}),
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
    'metrics-only': Flags.boolean({char: 'q', description: 'with --metrics: print nothing else (no calls, no summary), to run as a long-lived agent', dependsOn: ['metrics']}),
    'metrics-max-methods': Flags.integer({description: 'with --metrics: distinct method names with series of their own; the rest share "other" (default 100)', min: 1, max: 10_000, dependsOn: ['metrics']}),
    netns: Flags.string({
      description: "capture in this network namespace: a name (ip netns list), a pid (a container's: docker inspect -f '{{.State.Pid}}'), or a path like /proc/PID/ns/net; needs a capture process (tcpdump)",
      exclusive: ['read', 'list-interfaces'],
      helpValue: 'NAME|PID|PATH',
    }),
  }

  public async run(): Promise<SniffSummary | undefined> {
    const {flags} = await this.parse(Sniff)
    const [capture, sniff, render] = await Promise.all([import('../src/capture/index.js'), import('../src/sniff/index.js'), import('../src/render/sniff/index.js')])
    const colors = render.colorsFor(process.stdout, process.env, colorChoice(flags))
    const errColors = render.colorsFor(process.stderr, process.env, colorChoice(flags))

    if (flags['list-interfaces']) {
      const listed = await capture.listInterfaces()
      if (!listed.ok) this.fail(listed.error)
      for (const line of flags.json ? listed.value.map((d) => JSON.stringify({type: 'interface', ...d})) : render.renderInterfaces(listed.value, colors)) this.log(line)
      return undefined
    }

    const payloads = await this.payloadDecoder(flags)
    // --report: opened now, so a path that cannot be written fails before the capture.
    const reports = flags.report === undefined ? undefined : await import('../src/report/index.js')
    const opened = reports?.SniffReport.open(flags.report!)
    if (opened !== undefined && !opened.ok) this.fail(opened.error)
    const report = opened?.value

    const quiet = flags['metrics-only']
    const live = flags.read === undefined
    // Attribution names processes for the printed lines: an agent printing nothing needs none.
    const processes = flags.processes && !quiet

    // --netns: the capture process runs inside; the namespace's tables (process names, CLOSE_WAIT) are read through a process in it.
    let netns: import('../src/netns/index.js').NetnsAccess | undefined
    if (flags.netns !== undefined) {
      const opened = await (await import('../src/netns/index.js')).openNetns(flags.netns, {tables: processes || flags.metrics !== undefined})
      if (!opened.ok) this.fail(opened.error)
      netns = opened.value
    }

    const metrics = flags.metrics === undefined ? undefined : await this.startMetrics(flags.metrics, {
      ports: flags.port,
      maxMethods: flags['metrics-max-methods'],
      closeWait: live,
      netDir: netns?.netDir,
    }, () => netns?.close())

    // Ctrl-C and SIGTERM end the capture: what was captured is still decoded and
    // summarised. A second one leaves at once; the -w file is whole after every write.
    let running: import('../src/sniff/index.js').SniffRun | undefined
    const stop = untilSignal({onSecond: () => running?.closeWriter()})
    // Straight to stdout, minding its backpressure: a slow reader pauses the capture, not memory.
    const out = render.LineWriter.toStream(process.stdout)
    const r = await sniff.runSniff({
      capture: {
        read: flags.read,
        interface: flags.interface,
        ports: flags.port,
        hosts: flags.host,
        filter: flags.filter,
        backend: flags.backend,
        snaplen: flags.snaplen,
        commandPrefix: netns?.commandPrefix,
        signal: flags.duration === undefined ? stop.signal : AbortSignal.any([stop.signal, AbortSignal.timeout(flags.duration)]),
      },
      session: {
        protocol: flags.protocol,
        timeoutMs: flags.timeout,
        payloads,
        hex: flags.hex,
        bufferLimit: flags['buffer-limit'],
        maxBuffered: flags['max-buffered'],
        // The report's ladders show SYN, FIN and RST.
        connections: flags.verbose || report !== undefined,
        // Metrics count requests as they arrive: the session reports every frame, the printer shows them with --frames.
        frames: flags.frames || metrics !== undefined,
      },
      write: flags.write,
      count: flags.count,
      processes,
      netDir: netns?.netDir,
      output: (ctx) => {
        const printer = quiet
          ? undefined
          : render.terminalOutput(ctx, {
              out,
              colors,
              json: flags.json,
              verbose: flags.verbose,
              hex: flags.hex,
              fileName: flags.read === '-' ? 'stdin' : (flags.read ?? ''),
              progress: process.stderr.isTTY ? (t) => process.stderr.write(t) : undefined,
            })
        const shown = printer === undefined || flags.frames || metrics === undefined ? printer : sniff.withoutFrames(printer)
        return sniff.teeOutputs(shown, report?.output(ctx), metrics?.sniff.output(ctx))
      },
    })
    if (!r.ok) {
      stop.dispose()
      report?.discard()
      await metrics?.close()
      netns?.close()
      this.fail(r.error)
    }
    running = r.value
    const {source, filter, notice, session} = running
    if (notice !== undefined) this.logToStderr(errColors.yellow(`rpcdiag: ${notice}`))
    const stampWarning = capture.timestampWarning(source)
    if (stampWarning !== undefined && !quiet) this.logToStderr(errColors.yellow(`rpcdiag: warning: ${stampWarning}`))
    if (running.live || metrics !== undefined) {
      const what = filter.expression === '' ? '' : `, filter "${filter.expression}"`
      const serving = metrics === undefined ? '' : `serving metrics on ${metrics.http.url}; `
      const capturing = running.live ? `capturing on ${source.description}${what}; Ctrl-C stops` : `reading ${source.description}`
      this.logToStderr(errColors.dim(`rpcdiag: ${serving}${capturing}`))
    }
    const outcome = await running.done.finally(() => stop.dispose())
    await metrics?.close()
    netns?.close()

    for (const n of outcome.notes) this.logToStderr(errColors.yellow(`rpcdiag: ${n}`))
    if (quiet) {
      if (outcome.error !== undefined) this.fail(outcome.error)
      return outcome.summary
    }
    if (flags.json) out.line(render.summaryLine(outcome.summary))
    else if (flags.summary) {
      for (const line of render.renderSniffSummary(outcome.summary, colors)) out.line(line)
      if (flags.histogram) for (const line of render.renderSniffHistogram(session.stats.latencyHistogram())) out.line(line)
    }
    out.flush()
    if (report !== undefined) {
      const written = await report.write(outcome)
      if (!written.ok) this.fail(written.error)
      this.logToStderr(errColors.dim(`rpcdiag: ${reports!.writtenText(written.value)}`))
    }
    if (outcome.error !== undefined) this.fail(outcome.error)
    return outcome.summary
  }

  /** --metrics: the registry and its HTTP endpoint, up before the capture starts (a port in use fails at once). */
  private async startMetrics(text: string, o: {ports?: string[]; maxMethods?: number; closeWait: boolean; netDir?: string}, onFail: () => void) {
    const [m, net] = await Promise.all([import('../src/metrics/index.js'), import('../src/net/index.js')])
    const address = m.parseMetricsAddress(text)
    if (!address.ok) {
      onFail()
      this.fail(address.error)
    }
    const ports = net.parsePortRanges(o.ports ?? [])
    if (!ports.ok) {
      onFail()
      this.fail(ports.error)
    }
    const sniff = new m.SniffMetrics({
      processMetrics: true,
      maxMethods: o.maxMethods,
      closeWait: o.closeWait ? {ports: ports.value, netDir: o.netDir} : undefined,
    })
    const http = await m.startMetricsServer({address: address.value, text: () => sniff.text(), contentType: sniff.registry.contentType})
    if (!http.ok) {
      onFail()
      this.fail(http.error)
    }
    return {sniff, http: http.value, close: () => http.value.close()}
  }

  /** --proto: the shared .proto loader; -v or --json -v without one: schema-less. */
  private async payloadDecoder(flags: ProtoFlagValues & {verbose: boolean}) {
    const [loaded, decoders] = await Promise.all([schemaFromFlags(flags), import('../src/sniff/index.js')])
    if (!loaded.ok) this.fail(loaded.error)
    if (loaded.value !== undefined) return new decoders.SchemaPayloadDecoder(loaded.value)
    return flags.verbose ? new decoders.RawPayloadDecoder() : undefined
  }
}
