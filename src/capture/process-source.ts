import {type ChildProcessByStdio, spawn} from 'node:child_process'
import {closeSync, fstatSync, ftruncateSync, read, statfsSync} from 'node:fs'
import type {Readable, Writable} from 'node:stream'
import {promisify} from 'node:util'

import {type CapturedPacket, linkTypeFromName, linkTypeName} from '../../decoders/packet/index.js'
import {CaptureFileDecoder} from '../../decoders/pcap/index.js'
import {err, ok, type Result, RpcDiagError} from '../errors.js'
import {CAPTURE_PROGRAMS, type CaptureProgram, type CaptureProgramName, findProgram} from './capture-programs.js'
import {BaseCaptureSource, type CaptureStats} from './capture-source.js'
import {classifyCaptureFailure, privilegeHint} from './failure.js'
import {defaultInterface, type LiveCaptureOptions, prefixedCommand} from './live-options.js'
import {SourceChunks} from './source-chunks.js'

export interface ProcessSourceOptions extends LiveCaptureOptions {
  /** Which capture program (default dumpcap). */
  program?: CaptureProgramName
  /** Its binary (default: the program's name, looked up on PATH). */
  bin?: string
  /** Give up when capturing has not begun within this many ms (default 10000). */
  readyTimeoutMs?: number
  /**
   * -w: the program writes its records straight into this file (opened by
   * openCaptureFile, which this source then owns), and rpcdiag reads them
   * back as the file grows, as Wireshark reads dumpcap's file. The file then
   * holds everything the program captured whatever rpcdiag's pace, and a
   * SIGKILL of rpcdiag loses nothing the program had written.
   */
  writeFile?: {readonly path: string; readonly fd: number}
}

const readAt = promisify(read)
/** A growing file is polled this often when it has nothing new (dumpcap flushes it every few hundred ms). */
const TAIL_POLL_MS = 20
const TAIL_CHUNK = 256 * 1024
/**
 * dumpcap and tcpdump ignore a failed write to their stdout (a full disk):
 * they go on capturing, and the -w file stops growing. Stalled this long
 * while the program says it captured more than the file holds, or while the
 * file system has less than STALL_FREE bytes left, the file is taken as full.
 */
const STALL_MS = 1000
const STALL_FREE = 64 * 1024

/** After SIGTERM dumpcap and tcpdump flush and exit at once; past this the lifeline kills them. */
const STOP_GRACE_S = 3

/**
 * The lifeline: the capture program runs under this sh, which reads a pipe
 * from rpcdiag on its stdin. When that pipe ends, because rpcdiag stops the
 * capture or because rpcdiag died (even of SIGKILL, when the kernel closes its
 * descriptors), the program gets SIGTERM once it has handed over what the
 * kernel held for it: it writes out what it holds and exits, and nothing is
 * left running. A capture program never reads its
 * stdin and may sit idle for hours with no packet to write, so the pipe it
 * writes into cannot tell it; and prctl(PR_SET_PDEATHSIG) is cleared when a
 * program with file capabilities (a setcap'd dumpcap) starts.
 *
 * The sh gives up its copy of stdout and stderr once the program runs, so
 * they end when the program exits. It ignores SIGINT: a Ctrl-C reaches the
 * program itself (same process group), which stops cleanly, and the sh stays
 * to report its exit status. "usr1" on the pipe asks tcpdump for counters.
 */
function lifeline(toFile: boolean, handoverMs: number): string {
  // toFile: the program's stdout is the -w file, which rpcdiag passed as fd 3.
  // Before SIGTERM, wait out the program's block timeout: it hands over what
  // the kernel holds for it, which SIGTERM would lose.
  const drain = ((handoverMs + 100) / 1000).toFixed(1)
  return `trap '' INT
"$@" </dev/null ${toFile ? '>&3 3>&-' : ''} &
pid=$!
exec >/dev/null 2>&1 3>&-
while read -r cmd; do
  if [ "$cmd" = usr1 ]; then kill -USR1 "$pid"; fi
done
if kill -0 "$pid"; then sleep ${drain}; fi
kill -TERM "$pid"
( sleep ${STOP_GRACE_S}; kill -KILL "$pid" ) &
killer=$!
wait "$pid"
code=$?
kill "$killer"
exit "$code"`
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>

/**
 * Live capture through a capture process, dumpcap (the default) or tcpdump,
 * that holds the capture privilege and hands pcap or pcapng records over a
 * pipe, stamped by the kernel. Decoded like a file. Opening waits until the
 * program says it is capturing (and, for dumpcap, until its pcapng header
 * names the link type), so packets sent after open resolves are captured.
 */
export async function openProcessSource(opts: ProcessSourceOptions = {}): Promise<Result<ProcessCaptureSource, RpcDiagError>> {
  const program = CAPTURE_PROGRAMS[opts.program ?? 'dumpcap']
  const bin = opts.bin ?? program.name
  const found = findProgram(bin)
  if (!found.ok) {
    return err(
      found.reason === 'missing'
        ? new RpcDiagError('CAPTURE_UNAVAILABLE', `cannot capture through ${program.name}: "${bin}" is not installed; install ${program.name === 'dumpcap' ? 'wireshark-common (dumpcap)' : 'tcpdump'}, or analyse a saved capture with --read FILE`)
        : new RpcDiagError('CAPTURE_PERMISSION', `cannot run ${found.path}: permission denied. ${privilegeHint(program.name)}`),
    )
  }
  const iface = opts.interface ?? defaultInterface()
  const toFile = opts.writeFile !== undefined
  // Under a command prefix (nsenter into a network namespace), which execs the program in its place.
  const [file, args] = prefixedCommand(opts.commandPrefix, found.path, program.args(iface, opts, toFile))
  const child = spawn('sh', ['-c', lifeline(toFile, program.handoverMs), 'rpcdiag-capture', file, ...args], {
    stdio: toFile ? ['pipe', 'pipe', 'pipe', opts.writeFile!.fd] : ['pipe', 'pipe', 'pipe'],
  }) as Child
  const source = new ProcessCaptureSource(program, child, iface ?? 'the default interface', opts)
  const ready = await source.ready(opts.readyTimeoutMs ?? 10_000)
  return ready.ok ? ok(source) : ready
}

export class ProcessCaptureSource extends BaseCaptureSource {
  readonly kind: CaptureProgramName
  readonly filter: string | undefined
  readonly timestampSource = 'kernel' as const
  linkType: number | undefined
  description: string
  private stderr = ''
  private readonly exited: Promise<number | null>
  private exitCode: number | null | undefined
  private readonly decoder = new CaptureFileDecoder()
  private readonly chunks = new SourceChunks(this.decoder)
  private readonly iterator: AsyncIterator<Buffer>
  private pending: CapturedPacket[] = []
  private outputEnded = false
  private stopTimer: NodeJS.Timeout | undefined
  private readonly writeFile: {readonly path: string; readonly fd: number} | undefined
  /** Set when the -w file stopped taking records (see STALL_MS). */
  private fileFull: boolean | undefined

  constructor(
    private readonly program: CaptureProgram,
    private readonly child: Child,
    private readonly where: string,
    opts: ProcessSourceOptions,
  ) {
    super(opts.signal)
    this.kind = program.name
    this.filter = opts.filter?.expression
    this.description = `${where} via ${program.name}`
    child.stdin.on('error', () => {}) // the lifeline's reader gone: nothing to tell it any more
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (d: string) => this.keepStderr(d))
    this.writeFile = opts.writeFile
    if (this.writeFile === undefined) this.iterator = child.stdout[Symbol.asyncIterator]()
    else {
      child.stdout.resume()
      this.iterator = this.tail(this.writeFile.fd)
    }
    this.exited = new Promise((resolve) => {
      child.on('close', (code) => {
        this.exitCode = code
        if (this.stopTimer) clearTimeout(this.stopTimer)
        resolve(code)
      })
      child.on('error', () => resolve(null))
    })
    // The program's stderr ends when it exits: end the lifeline so the sh reports how.
    child.stderr.on('end', () => child.stdin.end())
  }

  /** Wait until the program captures, or turn its complaint into an error value. */
  async ready(timeoutMs: number): Promise<Result<void, RpcDiagError>> {
    const deadline = setTimeout(() => this.child.stdin.end(), timeoutMs)
    deadline.unref()
    let outcome: 'ready' | 'exit' | 'timeout' | 'bad-stream'
    try {
      outcome = await this.awaitReady(timeoutMs)
    } finally {
      clearTimeout(deadline)
    }
    if (outcome === 'ready') {
      const said = this.program.described(this.stderr)
      const where = said?.where ?? this.where
      this.linkType ??= said?.linkType === undefined ? this.decoder.interfaces[0]?.linkType : linkTypeFromName(said.linkType)
      this.description = `${where} via ${this.program.name}${this.linkType === undefined ? '' : `, link-type ${linkTypeName(this.linkType)}`}`
      return ok(undefined)
    }
    this.child.stdin.end()
    const code = await this.exited
    if (outcome === 'timeout') {
      return err(new RpcDiagError('CAPTURE_FAILED', `${this.program.name} did not start capturing on ${this.where} within ${timeoutMs} ms: ${this.program.failure(this.stderr).trim() || 'no output'}`))
    }
    if (outcome === 'bad-stream') {
      return err(new RpcDiagError('CAPTURE_FAILED', `${this.program.name} wrote a capture stream rpcdiag cannot read: ${this.decoder.error?.message}`))
    }
    const said = this.program.failure(this.stderr).trim() || `${this.program.name} exited with ${code}`
    return err(classifyCaptureFailure(this.where, said, this.program.name, this.filter))
  }

  private async awaitReady(timeoutMs: number): Promise<'ready' | 'exit' | 'timeout' | 'bad-stream'> {
    const started = Date.now()
    const stderrSays = new Promise<boolean>((resolve) => {
      const check = () => {
        if (this.program.ready.test(this.stderr)) {
          this.child.stderr.off('data', check)
          resolve(true)
        }
      }
      this.child.stderr.on('data', check)
      this.child.stderr.once('end', () => resolve(this.program.ready.test(this.stderr)))
      check()
    })
    if (!(await stderrSays)) return Date.now() - started >= timeoutMs ? 'timeout' : 'exit'
    if (this.program.described(this.stderr)?.linkType !== undefined) return 'ready'
    // No link type on stderr (dumpcap): its pcapng header, written as it starts, names it.
    while (this.decoder.interfaces.length === 0) {
      if (!(await this.readChunk())) return Date.now() - started >= timeoutMs ? 'timeout' : 'exit'
      if (this.decoder.error !== undefined) return 'bad-stream'
    }
    return 'ready'
  }

  /** The -w file's bytes as the program writes them, until it has exited and all is read. */
  private async *tail(fd: number): AsyncGenerator<Buffer> {
    let at = 0
    let grewAt = Date.now()
    for (;;) {
      const exited = this.exitCode !== undefined
      const buf = Buffer.allocUnsafe(TAIL_CHUNK)
      const {bytesRead} = await readAt(fd, buf, 0, TAIL_CHUNK, at)
      if (bytesRead > 0) {
        at += bytesRead
        grewAt = Date.now()
        yield buf.subarray(0, bytesRead)
      } else if (exited) return
      else {
        if (this.fileFull === undefined && Date.now() - grewAt >= STALL_MS && this.fileStalled()) {
          this.fileFull = true
          void this.stop()
        }
        await new Promise((resolve) => setTimeout(resolve, TAIL_POLL_MS))
      }
    }
  }

  /** The -w file stopped growing: because the program cannot write it? */
  private fileStalled(): boolean {
    const captured = this.program.counters(this.stderr).captured
    if (captured !== undefined && captured > this.decoder.packets) return true
    try {
      const fs = statfsSync(this.writeFile!.path)
      return fs.bfree * fs.bsize < STALL_FREE
    } catch {
      return false
    }
  }

  /** Read one chunk of the program's output into pending; false at its end. */
  private async readChunk(): Promise<boolean> {
    if (this.outputEnded) return false
    let next: IteratorResult<Buffer>
    try {
      next = await this.iterator.next()
    } catch {
      next = {done: true, value: undefined}
    }
    if (next.done) {
      this.outputEnded = true
      return false
    }
    this.chunks.push(next.value, this.pending)
    return true
  }

  protected async *produce(): AsyncGenerator<CapturedPacket[]> {
    try {
      for (;;) {
        if (this.pending.length > 0) {
          const batch = this.pending
          this.pending = []
          yield batch
        }
        if (this.decoder.error !== undefined) {
          this.end = {reason: 'error', error: new RpcDiagError('CAPTURE_FAILED', `${this.program.name} wrote a capture stream rpcdiag cannot read: ${this.decoder.error.message}`)}
          break
        }
        if (!(await this.readChunk())) break
      }
    } finally {
      // A consumer that broke out of its loop: the program must be told before waiting for it.
      if (this.exitCode === undefined) await this.stop()
      const code = await this.exited
      this.readCounters()
      // -w: a consumer that stopped early (-c N) left the rest of the file unread: count it too.
      if (this.writeFile !== undefined && this.decoder.error === undefined) {
        while (await this.readChunk()) this.pending = []
      }
      const written = this.finishFile()
      if (written !== undefined) this.end ??= {reason: 'error', error: written}
      if (this.end === undefined) {
        const cut = this.chunks.finish()
        if (this.stopping && (code === 0 || code === null || code === 143 || code === 130)) this.end = {reason: 'stopped'}
        else if (code !== 0 && !this.stopping) {
          const said = this.program.failure(this.stderr).trim() || `${this.program.name} exited with ${code}`
          this.end = {reason: 'error', error: classifyCaptureFailure(this.where, said, this.program.name)}
        } else if (cut !== undefined && cut.code !== 'EMPTY') {
          this.end = {reason: 'error', error: new RpcDiagError('CAPTURE_FAILED', `${this.program.name}'s capture stream ended mid-record: ${cut.message}`)}
        } else this.end = {reason: this.stopping ? 'stopped' : 'eof'}
      }
    }
  }

  /**
   * -w: the program has exited. A record it was cut off in (a full disk) is
   * cut off the file, so it ends with the last whole one; the descriptor is
   * closed. Returns the error to report when the program failed writing.
   */
  private finishFile(): RpcDiagError | undefined {
    const f = this.writeFile
    if (f === undefined) return undefined
    let cut = ''
    try {
      const whole = this.decoder.position
      if (fstatSync(f.fd).size > whole) ftruncateSync(f.fd, whole)
    } catch (e) {
      cut = ` (and cutting off the partial record failed too: ${(e as Error).message})`
    }
    try {
      closeSync(f.fd)
    } catch {
      // Already closed.
    }
    // The program's last word on how many it captured, against what the file holds.
    const captured = this.program.counters(this.stderr).captured
    const short = captured !== undefined && captured > this.decoder.packets
    if (this.fileFull !== true && !short) return undefined
    let why = 'the file stopped growing'
    try {
      const fs = statfsSync(f.path)
      if (fs.bfree * fs.bsize < STALL_FREE) why = 'no space left on device'
    } catch {
      // Keep the plainer reason.
    }
    const of = captured === undefined ? '' : ` of the ${captured} ${this.program.name} captured`
    return new RpcDiagError('WRITE_FAILED', `writing ${f.path} failed: ${why}; it holds the first ${this.decoder.packets} packet(s)${of}, each whole${cut}`)
  }

  /** The file the program writes (-w), if any. */
  get writesTo(): string | undefined {
    return this.writeFile?.path
  }

  private keepStderr(d: string): void {
    // Keep the head (the error, if any) and the tail (the counters); drop the middle of a long run.
    this.stderr = this.stderr.length > 64 * 1024 ? this.stderr.slice(0, 4096) + this.stderr.slice(-8192) + d : this.stderr + d
  }

  /** The program's counters: its last report on stderr, else dumpcap's pcapng interface statistics. */
  private readCounters(): void {
    const c = this.program.counters(this.stderr)
    const isb = this.decoder.statistics.filter((s) => s.dropped !== undefined || s.osDropped !== undefined)
    if (c.kernelDrops === undefined && isb.length > 0) c.kernelDrops = isb.reduce((n, s) => n + (s.dropped ?? 0) + (s.osDropped ?? 0), 0)
    if (c.kernelDrops !== undefined) this.counters.kernelDrops = c.kernelDrops
    if (c.interfaceDrops !== undefined) this.counters.interfaceDrops = c.interfaceDrops
    if (c.received !== undefined) this.counters.received = c.received
  }

  /** tcpdump prints fresh counters on SIGUSR1 (asked through the lifeline); dumpcap only at the end. */
  override async refreshStats(): Promise<CaptureStats> {
    if (this.exitCode === undefined && !this.stopping && this.program.usr1Counters) {
      const before = this.stderr.length
      this.child.stdin.write('usr1\n')
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, 1000)
        t.unref()
        const child = this.child
        function done() {
          clearTimeout(t)
          child.stderr.off('data', on)
          resolve()
        }
        const on = () => {
          if (/dropped by kernel/.test(this.stderr.slice(before))) done()
        }
        child.stderr.on('data', on)
      })
    }
    this.readCounters()
    return this.stats()
  }

  /** Ends the lifeline: the program gets SIGTERM, writes out what it holds, prints its counters and exits. */
  async stop(): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    if (this.exitCode !== undefined) return
    this.child.stdin.end()
    // The lifeline kills the program after its grace; this is for a lifeline that itself hangs.
    this.stopTimer = setTimeout(() => this.child.kill('SIGKILL'), (STOP_GRACE_S + 2) * 1000 + this.program.handoverMs)
    this.stopTimer.unref()
  }
}
