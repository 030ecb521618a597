import {Flags, type Interfaces} from '@oclif/core'

import {colorFlags} from '../cli/color-flag.js'
import {durationFlag} from '../cli/duration-flag.js'
import {EXIT_FINDINGS} from '../cli/exit-codes.js'
import {portFlag} from '../cli/port-flag.js'
import {protoFlags} from '../cli/proto-flags.js'
import {sizeFlag} from '../cli/size-flag.js'
import {DEFAULT_TIMEOUT_MS} from '../net/deadline.js'
import {DEFAULT_MAX_BUFFERED, DEFAULT_MAX_HELD_BYTES} from '../sniff/reassembly/limits.js'

// `rpcdiag sniff`'s flags: the command (commands/sniff.ts) and its direct run
// (bin/run.js, src/cli/direct-run.ts) parse the same definitions. Imported
// file by file, not through src/cli/index.ts, whose base command would bring
// all of oclif into the direct run's bundle. The words after the flags are a
// capture filter (the command is not strict): read in order from the parse's
// raw tokens (sniffOptions).

export const sniffFlags = {
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

export type SniffFlags = Interfaces.InferredFlags<typeof sniffFlags>
