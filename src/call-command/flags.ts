import {Args, Flags, type Interfaces} from '@oclif/core'

import {colorFlags} from '../cli/color-flag.js'
import {durationFlag} from '../cli/duration-flag.js'
import {protoFlags} from '../cli/proto-flags.js'
import {sizeFlag} from '../cli/size-flag.js'
import {warmupFlag} from '../cli/warmup-flag.js'
import {DEFAULT_TIMEOUT_MS} from '../net/deadline.js'
import {DEFAULT_MAX_BODY} from '../rpc/body-source.js'

// `rpcdiag call`'s argument and flags: the command (commands/call.ts) and its
// direct run (bin/run.js, src/cli/direct-run.ts) parse the same definitions.
// Imported file by file, not through src/cli/index.ts, whose base command
// would bring all of oclif into the direct run's bundle.

export const callArgs = {
  method: Args.string({required: true, description: 'Service.method or pkg.Service.method (without a .proto: the method_name as sent)'}),
}

export const callFlags = {
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

export type CallArgs = Interfaces.InferredArgs<typeof callArgs>
export type CallFlags = Interfaces.InferredFlags<typeof callFlags>
