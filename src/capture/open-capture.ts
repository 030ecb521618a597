import {closeSync, ftruncateSync} from 'node:fs'
import type {Readable} from 'node:stream'

import {err, ok, type Result, RpcDiagError, UsageError} from '../errors.js'
import {buildFilter, type CaptureFilter, type FilterSpec, isTrivialFilter} from './bpf-filter.js'
import {type CapLoader, loadCap} from './cap-addon.js'
import type {CaptureProgramName} from './capture-programs.js'
import type {CaptureSource} from './capture-source.js'
import {openFileSource} from './file-source.js'
import {openCapSource} from './live-source.js'
import {openCaptureFile} from './pcap-writer.js'
import {openProcessSource} from './process-source.js'

/**
 * How to capture live. auto: a capture process, dumpcap where installed, else
 * tcpdump (kernel timestamps, rpcdiag needs no privilege when the program has
 * it), else libpcap in this process through cap (timestamps taken in
 * JavaScript). The others pick one.
 */
export type CaptureBackend = 'auto' | 'dumpcap' | 'tcpdump' | 'cap'

export const CAPTURE_BACKENDS: readonly CaptureBackend[] = ['auto', 'dumpcap', 'tcpdump', 'cap']

export interface CaptureOptions extends FilterSpec {
  /** --read: a pcap/pcapng file, or "-" for stdin. Absent: capture live. */
  read?: string
  /** The stream "-" reads (default process.stdin). */
  stdin?: Readable
  /** --read of a regular file: packets are valid only until the next batch is asked for (FileSourceOptions.reuseMemory). */
  reuseMemory?: boolean
  /** -i: default `any` on Linux. */
  interface?: string
  /**
   * -w, live: a capture process writes this file itself and rpcdiag reads it
   * back as it grows (source.writesTo says so). Through cap, or for --read,
   * it is ignored here: the caller writes the file (PcapWriter).
   */
  write?: string
  /** Bytes kept of each packet (default 262144, which covers every MTU; cap keeps at most 65535). */
  snaplen?: number
  /** Kernel buffer in bytes (default 64 MiB through cap, 16 MiB through dumpcap and tcpdump). */
  bufferSize?: number
  /** Default 'auto'. */
  backend?: CaptureBackend
  /** dumpcap binary (default "dumpcap" on PATH). */
  dumpcap?: string
  /** tcpdump binary for capturing and for compiling filters on files (default "tcpdump"). */
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
  /** The validated filter (its expression is what libpcap, dumpcap or tcpdump got). */
  readonly filter: CaptureFilter
  /** Why the backend used is not the first choice, e.g. dumpcap may not capture and tcpdump took over. */
  readonly notice?: string
}

/**
 * Open the capture the options describe: a file, stdin, or a live interface.
 * Every failure (bad --port, missing privilege, no such interface, a file that
 * is not a capture, no capture program and no cap) is an error value with a
 * code and a message that says what to do.
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
      reuseMemory: opts.reuseMemory,
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
  let file: {path: string; fd: number} | undefined
  if (opts.write !== undefined && opts.backend !== 'cap') {
    const fd = openCaptureFile(opts.write)
    if (!fd.ok) return fd
    file = {path: opts.write, fd: fd.value}
  }
  const viaProgram = (program: CaptureProgramName) => {
    // A program that failed to start may have begun the file.
    if (file !== undefined) ftruncateSync(file.fd, 0)
    return openProcessSource({...live, program, bin: program === 'dumpcap' ? opts.dumpcap : opts.tcpdump, readyTimeoutMs: opts.readyTimeoutMs, writeFile: file})
  }
  /** No capture process took the file: the caller writes it (or nobody, on failure). */
  const release = () => {
    if (file !== undefined) closeSync(file.fd)
    file = undefined
  }
  const viaCap = async (): Promise<Result<CaptureSource, RpcDiagError>> => {
    const cap = (opts.loadCap ?? loadCap)()
    if (!cap.ok) return cap
    return openCapSource({...live, loadCap: () => cap, maxQueueBytes: opts.maxQueueBytes})
  }
  const backend = opts.backend ?? 'auto'
  // cap captures in this process, which cannot enter another namespace: only a capture process can.
  const prefixed = opts.commandPrefix !== undefined && opts.commandPrefix.length > 0
  if (prefixed && backend === 'cap') {
    release()
    return err(
      new UsageError(
        'BAD_FLAGS',
        `--backend cap captures inside rpcdiag's own process, which cannot run under "${opts.commandPrefix!.join(' ')}" (another network namespace): use --backend dumpcap or tcpdump, or leave --backend out`,
      ),
    )
  }
  if (backend !== 'auto') {
    const r = backend === 'cap' ? await viaCap() : await viaProgram(backend)
    if (!r.ok) release()
    return r.ok ? ok({source: r.value, filter}) : r
  }
  // auto: the first that captures. A usage error (no such interface, a bad
  // filter) would be the same through every backend: report it at once.
  const failures: Array<{backend: CaptureBackend; error: RpcDiagError}> = []
  for (const b of prefixed ? (['dumpcap', 'tcpdump'] as const) : (['dumpcap', 'tcpdump', 'cap'] as const)) {
    if (b === 'cap') release()
    const r = b === 'cap' ? await viaCap() : await viaProgram(b)
    if (r.ok) {
      const told = failures.filter((f) => f.error.code !== 'CAPTURE_UNAVAILABLE')
      const notice = told.length === 0 ? undefined : `${told.map((f) => `${f.backend}: ${f.error.message}`).join('; ')}; capturing through ${b}`
      return ok({source: r.value, filter, notice})
    }
    if (r.error.code === 'NO_SUCH_INTERFACE' || r.error.code === 'BAD_FILTER') {
      release()
      return r
    }
    failures.push({backend: b, error: r.error})
  }
  release()
  // Nothing captures. A missing privilege says how to get it for the first
  // choice that is installed; else say what to install.
  const denied = failures.find((f) => f.error.code === 'CAPTURE_PERMISSION')
  if (denied !== undefined) return err(denied.error)
  const other = failures.find((f) => f.error.code !== 'CAPTURE_UNAVAILABLE' && f.error.code !== 'CAP_UNAVAILABLE')
  if (other !== undefined) return err(other.error)
  return err(
    new RpcDiagError(
      'CAPTURE_UNAVAILABLE',
      'cannot capture live: neither dumpcap nor tcpdump is installed, and the cap addon (libpcap) is not available; install wireshark-common (dumpcap) or tcpdump, or analyse a saved capture with --read FILE',
    ),
  )
}
