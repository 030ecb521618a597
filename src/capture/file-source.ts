import {type FileHandle, open} from 'node:fs/promises'
import type {Readable} from 'node:stream'

import {type BpfProgram, runBpf} from '../../decoders/bpf/index.js'
import {type CapturedPacket, isSupportedLinkType, linkTypeName, unsupportedLinkTypeMessage} from '../../decoders/packet/index.js'
import {type CaptureFileError, CaptureFileDecoder} from '../../decoders/pcap/index.js'
import {err, ok, type Result, RpcDiagError, UsageError} from '../errors.js'
import {compileFilter} from './bpf-compile.js'
import {type CaptureFilter, isTrivialFilter, packetMatcher} from './bpf-filter.js'
import {BaseCaptureSource, type CaptureKind} from './capture-source.js'
import {FileChunks} from './file-chunks.js'
import {SourceChunks} from './source-chunks.js'

export interface FileSourceOptions {
  /** The stream `-` reads (default process.stdin). */
  stdin?: Readable
  /** Packets to keep: ports and hosts are matched by rpcdiag, a raw expression by libpcap's program. */
  filter?: CaptureFilter
  /** tcpdump binary that compiles a raw filter (default "tcpdump"). */
  tcpdump?: string
  signal?: AbortSignal
  /** Read size (default 256 KiB). */
  chunkSize?: number
  /**
   * A regular file is read into the same memory again and again (see
   * FileChunks): each batch's packets are only valid until the next batch is
   * asked for, so a consumer that keeps a packet must copy it. Default false.
   */
  reuseMemory?: boolean
}

// Every packet of a chunk stays alive while its batch is processed: 256 KiB
// (~2,500 small packets) keeps that within the young generation; 1 MiB chunks
// measured twice the CPU in bench/read-pcap.ts.
const DEFAULT_CHUNK = 256 * 1024

function fileFailure(name: string, e: CaptureFileError): UsageError {
  return new UsageError('BAD_CAPTURE_FILE', `${name}: ${e.message} [${e.code} at byte ${e.offset}]`, {cause: e})
}

/**
 * Packets from a pcap or pcapng file, or from stdin (`-`), read in chunks and
 * decoded as they arrive. Opening reads the first chunk, so a file that is not
 * a capture, is empty, or has an unsupported link type is an error value
 * before any packet is handed out. A file cut short ends the iteration with
 * end.reason 'error' after every whole packet.
 */
export async function openFileSource(path: string, opts: FileSourceOptions = {}): Promise<Result<FileSource, RpcDiagError>> {
  let input: Input
  let size: number | undefined
  const name = path === '-' ? 'stdin' : path
  if (path === '-') {
    const stdin = opts.stdin ?? process.stdin
    if ((stdin as {isTTY?: boolean}).isTTY) {
      return err(new UsageError('READ_FAILED', '--read - reads a capture from stdin, but stdin is a terminal: pipe one in (tcpdump -w - | rpcdiag sniff --read -)'))
    }
    input = streamInput(stdin)
  } else {
    try {
      const handle = await open(path, 'r')
      const st = await handle.stat()
      if (st.isDirectory()) {
        await handle.close()
        return err(new UsageError('READ_FAILED', `cannot read ${path}: it is a directory`))
      }
      size = st.isFile() ? st.size : undefined
      const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK
      input = opts.reuseMemory && st.isFile() ? {handle, chunks: new FileChunks(handle, chunkSize)} : streamInput(handle.createReadStream({highWaterMark: chunkSize}))
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message
      return err(new UsageError('READ_FAILED', `cannot read ${path}: ${why}`, {cause: e}))
    }
  }
  const source = new FileSource(name, path === '-' ? 'stdin' : 'file', input, size, opts)
  const primed = await source.prime()
  if (!primed.ok) {
    await source.stop()
    return primed
  }
  return ok(source)
}

/** What a file source reads: a stream (stdin, a FIFO, or without reuseMemory), or a regular file's chunks. */
type Input = {readonly stream: Readable; readonly iterator: AsyncIterator<Buffer>} | {readonly handle: FileHandle; readonly chunks: FileChunks}

function streamInput(stream: Readable): Input {
  return {stream, iterator: stream[Symbol.asyncIterator]()}
}

export class FileSource extends BaseCaptureSource {
  readonly timestampSource = 'file' as const
  readonly filter: string | undefined
  linkType: number | undefined
  description: string
  private readonly decoder = new CaptureFileDecoder()
  private readonly chunks = new SourceChunks(this.decoder)
  private pending: CapturedPacket[] = []
  private eof = false
  private readonly programs = new Map<number, BpfProgram>()
  private readonly matcher: ((p: CapturedPacket) => boolean) | undefined

  constructor(
    private readonly name: string,
    readonly kind: CaptureKind,
    private readonly input: Input,
    size: number | undefined,
    private readonly opts: FileSourceOptions,
  ) {
    super(opts.signal)
    this.description = name
    const f = opts.filter
    this.filter = f === undefined || isTrivialFilter(f) ? undefined : f.expression
    this.matcher = this.filter === undefined ? undefined : packetMatcher(f!)
    this.counters.fileBytesRead = 0
    this.counters.fileSize = size
  }

  /** Read until the format and first interface are known: errors in the header come out of open. */
  async prime(): Promise<Result<void, RpcDiagError>> {
    while (this.decoder.format === undefined || this.decoder.interfaces.length === 0) {
      const more = await this.readChunk()
      if (!more.ok) return more
      if (this.decoder.error !== undefined) return err(fileFailure(this.name, this.decoder.error))
      if (this.eof) {
        const e = this.chunks.finish()
        if (e !== undefined) return err(fileFailure(this.name, e))
        break
      }
    }
    const ifaces = this.decoder.interfaces
    if (ifaces.length > 0 && !ifaces.some((i) => isSupportedLinkType(i.linkType))) {
      return err(new UsageError('UNSUPPORTED_LINK_TYPE', `${this.name}: ${unsupportedLinkTypeMessage(ifaces[0].linkType)}`))
    }
    this.linkType = ifaces[0]?.linkType
    this.description = `${this.name} (${this.decoder.format ?? 'empty'}${this.linkType === undefined ? '' : `, link-type ${linkTypeName(this.linkType)}`})`
    // A bad raw filter is reported at open, not after the first packets.
    if (this.filter !== undefined && this.matcher === undefined) {
      for (const i of ifaces) {
        const p = await this.program(i.linkType)
        if (!p.ok) return p
      }
    }
    return ok(undefined)
  }

  private async program(linkType: number): Promise<Result<BpfProgram, RpcDiagError>> {
    const known = this.programs.get(linkType)
    if (known !== undefined) return ok(known)
    const r = await compileFilter(this.filter!, linkType, {tcpdump: this.opts.tcpdump})
    if (r.ok) this.programs.set(linkType, r.value)
    return r
  }

  /** Read one chunk and decode it into pending. */
  private async readChunk(): Promise<Result<void, RpcDiagError>> {
    const input = this.input
    let chunk: Buffer | undefined
    try {
      if ('chunks' in input) {
        const taken = await input.chunks.take()
        chunk = taken.length === 0 ? undefined : taken
      } else {
        const next = await input.iterator.next()
        chunk = next.done ? undefined : next.value
      }
    } catch (e) {
      if (this.stopping) {
        this.eof = true
        return ok(undefined)
      }
      return err(new RpcDiagError('READ_FAILED', `reading ${this.name} failed: ${(e as Error).message}`, {cause: e}))
    }
    if (chunk === undefined) {
      this.eof = true
      return ok(undefined)
    }
    this.counters.fileBytesRead! += chunk.length
    this.chunks.push(chunk, this.pending)
    // The chunk before this one is free now: its packets were handed out and consumed before
    // this read (produce yields pending first), and the carry copied what it kept of it.
    // Read on into its memory while this one's packets are used.
    if ('chunks' in input) input.chunks.readAhead()
    return ok(undefined)
  }

  private async keep(batch: CapturedPacket[]): Promise<Result<CapturedPacket[], RpcDiagError>> {
    if (this.filter === undefined) return ok(batch)
    const out: CapturedPacket[] = []
    if (this.matcher !== undefined) {
      for (const p of batch) if (this.matcher(p)) out.push(p)
    } else {
      for (const p of batch) {
        let program = this.programs.get(p.linkType)
        if (program === undefined) {
          const r = await this.program(p.linkType)
          if (!r.ok) return r
          program = r.value
        }
        if (runBpf(program, p.data, p.origLen) !== 0) out.push(p)
      }
    }
    this.counters.filtered += batch.length - out.length
    return ok(out)
  }

  protected async *produce(): AsyncGenerator<CapturedPacket[]> {
    try {
      for (;;) {
        if (this.pending.length > 0) {
          const batch = this.pending
          this.pending = []
          const kept = await this.keep(batch)
          if (!kept.ok) {
            this.end = {reason: 'error', error: kept.error}
            return
          }
          yield kept.value
        }
        if (this.stopping) {
          this.end = {reason: 'stopped'}
          return
        }
        if (this.decoder.error !== undefined) {
          this.end = {reason: 'error', error: fileFailure(this.name, this.decoder.error)}
          return
        }
        if (this.eof) {
          const e = this.chunks.finish()
          this.end = e === undefined ? {reason: 'eof'} : {reason: 'error', error: fileFailure(this.name, e)}
          return
        }
        const r = await this.readChunk()
        if (!r.ok) {
          this.end = {reason: 'error', error: r.error}
          return
        }
      }
    } finally {
      this.updateDrops()
      await this.close()
    }
  }

  private updateDrops(): void {
    const stats = this.decoder.statistics
    const drops = stats.filter((s) => s.dropped !== undefined)
    if (drops.length > 0) this.counters.kernelDrops = drops.reduce((n, s) => n + s.dropped!, 0)
  }

  override stats() {
    this.updateDrops()
    return super.stats()
  }

  async stop(): Promise<void> {
    this.stopping = true
    // Also ends a read waiting on a pipe (tcpdump -w - | rpcdiag sniff --read -),
    // whose writer then stops on SIGPIPE like it would writing into head(1).
    await this.close()
  }

  private async close(): Promise<void> {
    if ('stream' in this.input) this.input.stream.destroy()
    else await this.input.handle.close().catch(() => {})
  }
}
