import type {Readable} from 'node:stream'

import {err, ok, type Result, RpcDiagError, UsageError} from '../errors.js'
import {buildFilter, type CaptureFilter, type FilterSpec, isTrivialFilter} from './bpf-filter.js'
import {type CapLoader, loadCap} from './cap-addon.js'
import type {CaptureSource} from './capture-source.js'
import {openFileSource} from './file-source.js'
import {openCapSource} from './live-source.js'
import {openTcpdumpSource} from './tcpdump-source.js'

/** How to capture live: libpcap through cap, a tcpdump child, or cap with tcpdump as the fallback. */
export type CaptureBackend = 'auto' | 'cap' | 'tcpdump'

export interface CaptureOptions extends FilterSpec {
  /** --read: a pcap/pcapng file, or "-" for stdin. Absent: capture live. */
  read?: string
  /** The stream "-" reads (default process.stdin). */
  stdin?: Readable
  /** -i: default `any` on Linux. */
  interface?: string
  snaplen?: number
  /** Kernel buffer in bytes (default 64 MiB through cap, 16 MiB through tcpdump). */
  bufferSize?: number
  /** Default 'auto'. */
  backend?: CaptureBackend
  /** tcpdump binary for the fallback and for compiling filters on files (default "tcpdump"). */
  tcpdump?: string
  /** How cap is loaded (tests pass a failing loader to exercise the fallback). */
  loadCap?: CapLoader
  /** Aborting stops the capture (e.g. AbortSignal.timeout(duration) for --duration). */
  signal?: AbortSignal
  /** Run the capture process under this command (see LiveCaptureOptions.commandPrefix); implies a capture process. */
  commandPrefix?: readonly string[]
  readyTimeoutMs?: number
  maxQueueBytes?: number
}

export interface OpenedCapture {
  readonly source: CaptureSource
  /** The validated filter (its expression is what libpcap or tcpdump got). */
  readonly filter: CaptureFilter
  /** Why the backend asked for was not the one used, e.g. cap failed to load and tcpdump took over. */
  readonly notice?: string
}

/**
 * Open the capture the options describe: a file, stdin, or a live interface.
 * Every failure (bad --port, missing privilege, no such interface, a file that
 * is not a capture, neither cap nor tcpdump) is an error value with a code and
 * a message that says what to do.
 */
export async function openCapture(opts: CaptureOptions = {}): Promise<Result<OpenedCapture, RpcDiagError>> {
  const built = buildFilter(opts)
  if (!built.ok) return built
  const filter = built.value
  if (opts.read !== undefined) {
    const r = await openFileSource(opts.read, {
      stdin: opts.stdin,
      filter: isTrivialFilter(filter) ? undefined : filter,
      tcpdump: opts.tcpdump,
      signal: opts.signal,
    })
    return r.ok ? ok({source: r.value, filter}) : r
  }
  const live = {
    interface: opts.interface,
    filter,
    snaplen: opts.snaplen,
    bufferSize: opts.bufferSize,
    signal: opts.signal,
    commandPrefix: opts.commandPrefix,
  }
  const backend = opts.backend ?? 'auto'
  const viaTcpdump = async (notice?: string): Promise<Result<OpenedCapture, RpcDiagError>> => {
    const r = await openTcpdumpSource({...live, tcpdump: opts.tcpdump, readyTimeoutMs: opts.readyTimeoutMs})
    if (!r.ok) {
      if (notice !== undefined && r.error.code === 'CAPTURE_UNAVAILABLE') {
        return err(new RpcDiagError('CAPTURE_UNAVAILABLE', `cannot capture live: ${notice.replace(/; capturing through tcpdump$/, '')}, and tcpdump is not installed; install libpcap-dev and reinstall rpcdiag (for cap) or install tcpdump, or analyse a saved capture with --read FILE`))
      }
      return r
    }
    return ok({source: r.value, filter, notice})
  }
  // cap captures in this process, which cannot enter another namespace: only a capture process can.
  if (opts.commandPrefix !== undefined && opts.commandPrefix.length > 0) {
    if (backend === 'cap') {
      return err(new UsageError('BAD_FLAGS', `--backend cap captures inside rpcdiag's own process, which cannot run under "${opts.commandPrefix.join(' ')}" (another network namespace): use --backend tcpdump, or leave --backend out`))
    }
    return viaTcpdump()
  }
  if (backend === 'tcpdump') return viaTcpdump()
  const cap = (opts.loadCap ?? loadCap)()
  if (!cap.ok) {
    if (backend === 'cap') return cap
    return viaTcpdump(`${cap.error.message}; capturing through tcpdump`)
  }
  const r = openCapSource({...live, loadCap: () => cap, maxQueueBytes: opts.maxQueueBytes})
  return r.ok ? ok({source: r.value, filter}) : r
}
