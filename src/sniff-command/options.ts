// What `rpcdiag sniff` was asked, once its flags are parsed: the one input of
// runSniffCommand. Output formats and filters are named as tshark names them.

import type {ProtoSchema} from '../rpc/proto/index.js'
import type {FailOnKind} from '../sniff/fail-on.js'

/** text: a line per call (default); ndjson: --json; csv/tsv/fields: a row of fields per call (-T fields -e ...). */
export type SniffFormat = 'text' | 'ndjson' | 'csv' | 'tsv' | 'fields'

export interface SniffCommandOptions {
  readonly listInterfaces: boolean
  readonly read?: string
  readonly interface?: string
  readonly write?: string
  readonly ports?: string[]
  readonly hosts?: string[]
  /** -f EXPR. */
  readonly filter?: string
  /** Words after the flags: a capture filter, as tcpdump takes it (ANDed with -f). */
  readonly filterWords: readonly string[]
  readonly count?: number
  readonly durationMs?: number
  readonly protocol: 'auto' | 'tinypb' | 'string'
  readonly timeoutMs: number
  /** --proto, loaded: payloads decoded by type, req.FIELD and resp.FIELD for -Y and -e. */
  readonly schema?: ProtoSchema
  readonly verbose: boolean
  readonly hex: boolean
  readonly frames: boolean
  readonly format: SniffFormat
  /** -e: fields for csv, tsv and -T fields. */
  readonly fields: readonly string[]
  /** -E name=value, as tshark's. */
  readonly fieldOptions: readonly string[]
  /** -Y EXPR. */
  readonly displayFilter?: string
  /** -q: the summary alone. */
  readonly quiet: boolean
  /** --metrics-only: nothing at all on stdout (an agent). */
  readonly metricsOnly: boolean
  readonly summary: boolean
  readonly histogram: boolean
  readonly failOn: readonly FailOnKind[]
  readonly bufferLimit: number
  /** --max-buffered: bytes held across all connections. */
  readonly maxBuffered: number
  readonly backend: 'auto' | 'dumpcap' | 'tcpdump' | 'cap'
  readonly snaplen?: number
  readonly processes: boolean
  readonly report?: string
  readonly metrics?: string
  readonly metricsMaxMethods?: number
  readonly netns?: string
}

/** Where the command writes, and what it reads of its environment. */
export interface SniffCommandIo {
  readonly stdout: NodeJS.WriteStream
  readonly stderr: NodeJS.WriteStream
  /** A line on stderr. */
  readonly log: (line: string) => void
  readonly env: NodeJS.ProcessEnv
  /** --color: always, never, or auto (the stream decides). */
  readonly color: 'auto' | 'always' | 'never'
}
