import {BaseCommand, EXIT_FINDINGS} from '../src/cli/index.js'
import {sniffFlags} from '../src/sniff-command/flags.js'
import type {SniffSummary} from '../src/sniff/index.js'

/**
 * `rpcdiag sniff`: capture (live, or from a pcap/pcapng file) and decode TinyPB
 * calls. The pipeline is openCapture (src/capture) -> runCapture ->
 * SniffSession (src/sniff), the output is src/render/sniff/; the wiring is
 * src/sniff-command (flags, sniffOptions, runSniffCommand), which bin/run.js
 * also runs directly, without oclif's Config, for a file read when nothing
 * could change what oclif would do (src/cli/direct-run.ts). oclif's global
 * --json is off: --json here streams NDJSON, one event a line.
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

  static override flags = sniffFlags

  public async run(): Promise<SniffSummary | undefined> {
    const {flags, raw} = await this.parse(Sniff)
    const {runSniffCommand, sniffOptions} = await import('../src/sniff-command/index.js')
    const words = raw.filter((t) => t.type === 'arg').map((t) => t.input)
    const o = await sniffOptions(flags, words, this.config.bin)
    if (!o.ok) this.fail(o.error)
    const r = await runSniffCommand(o.value.options, {stdout: process.stdout, stderr: process.stderr, log: (line) => this.logToStderr(line), env: process.env, color: o.value.color})
    if (!r.ok) this.fail(r.error)
    return r.value
  }
}
