import {type ChildProcessByStdio, spawn} from 'node:child_process'
import type {Readable} from 'node:stream'

import {type CapturedPacket, linkTypeFromName} from '../../decoders/packet/index.js'
import {CaptureFileDecoder} from '../../decoders/pcap/index.js'
import {err, ok, type Result, RpcDiagError} from '../errors.js'
import {classifyCaptureFailure} from './failure.js'
import {BaseCaptureSource, type CaptureStats} from './capture-source.js'
import {SourceChunks} from './source-chunks.js'
import {DEFAULT_BUFFER_SIZE, DEFAULT_SNAPLEN, defaultInterface, type LiveCaptureOptions, prefixedCommand} from './live-options.js'

export interface TcpdumpSourceOptions extends LiveCaptureOptions {
  /** tcpdump binary (default "tcpdump" on PATH). */
  tcpdump?: string
  /** Give up when tcpdump has not said "listening on" within this many ms (default 10000). */
  readyTimeoutMs?: number
}

const LISTENING = /listening on (\S+), link-type (\S+)/
/** After SIGINT tcpdump flushes and exits at once; past this it is killed. */
const STOP_GRACE_MS = 3000

function lastCount(text: string, what: RegExp): number | undefined {
  let n: number | undefined
  for (const m of text.matchAll(what)) n = Number(m[1])
  return n
}

/**
 * Live capture through a `tcpdump -U -w -` child: the fallback when the cap
 * addon is missing, and a choice of its own (tcpdump stamps packets with the
 * kernel's time; cap cannot pass libpcap's timestamps through). Its stdout is
 * a classic pcap stream, decoded like a file. Opening waits until tcpdump says
 * it is listening, so packets sent after open resolves are captured.
 */
export async function openTcpdumpSource(opts: TcpdumpSourceOptions = {}): Promise<Result<TcpdumpSource, RpcDiagError>> {
  const bin = opts.tcpdump ?? 'tcpdump'
  const iface = opts.interface ?? defaultInterface()
  // -U: write each packet out as libpcap hands it over. Not --immediate-mode:
  // that makes libpcap use a TPACKET_V2 ring of snaplen-sized slots (256 of
  // them in 16 MiB), which overflowed at ~50k packets/s on lo while tcpdump
  // wrote each packet into the pipe; TPACKET_V3's blocks did not drop at 90k/s.
  // The price: at low rates a packet can wait up to libpcap's 1 s block timeout.
  // Nanosecond stamps: tcpdump gives the kernel's time, keep all of it.
  const args = ['-U', '-w', '-', '--time-stamp-precision=nano', '-s', String(opts.snaplen ?? DEFAULT_SNAPLEN), '-B', String(Math.ceil((opts.bufferSize ?? DEFAULT_BUFFER_SIZE) / 1024))]
  if (iface !== undefined) args.push('-i', iface)
  if (opts.filter !== undefined) args.push('--', opts.filter.expression)
  const where = iface ?? 'the default interface'
  const [file, argv] = prefixedCommand(opts.commandPrefix, bin, args)
  const child = spawn(file, argv, {stdio: ['ignore', 'pipe', 'pipe']})
  const source = new TcpdumpSource(child, where, opts)
  const ready = await source.ready(file, opts.readyTimeoutMs ?? 10_000)
  return ready.ok ? ok(source) : ready
}

export class TcpdumpSource extends BaseCaptureSource {
  readonly kind = 'tcpdump' as const
  readonly filter: string | undefined
  linkType: number | undefined
  description: string
  private stderr = ''
  private exited: Promise<number | null>
  private exitCode: number | null | undefined
  private readonly decoder = new CaptureFileDecoder()
  private readonly chunks = new SourceChunks(this.decoder)
  private stopTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly child: ChildProcessByStdio<null, Readable, Readable>,
    private readonly where: string,
    opts: TcpdumpSourceOptions,
  ) {
    super(opts.signal)
    this.filter = opts.filter?.expression
    this.description = `${where} via tcpdump`
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (d: string) => this.keepStderr(d))
    this.exited = new Promise((resolve) => {
      child.on('close', (code) => {
        this.exitCode = code
        if (this.stopTimer) clearTimeout(this.stopTimer)
        resolve(code)
      })
    })
  }

  /** Wait for "listening on", or turn tcpdump's complaint into an error value. */
  async ready(bin: string, timeoutMs: number): Promise<Result<void, RpcDiagError>> {
    const outcome = await new Promise<'ready' | 'exit' | 'timeout' | NodeJS.ErrnoException>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs)
      timer.unref()
      const check = () => {
        if (LISTENING.test(this.stderr)) {
          clearTimeout(timer)
          resolve('ready')
        }
      }
      this.child.stderr.on('data', check)
      this.child.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        resolve(e)
      })
      void this.exited.then(() => {
        clearTimeout(timer)
        resolve(LISTENING.test(this.stderr) ? 'ready' : 'exit')
      })
    })
    this.child.stderr.removeAllListeners('data')
    this.child.stderr.on('data', (d: string) => this.keepStderr(d))
    if (outcome === 'ready') {
      const m = LISTENING.exec(this.stderr)!
      this.description = `${m[1]} via tcpdump, link-type ${m[2]}`
      this.linkType = linkTypeFromName(m[2])
      return ok(undefined)
    }
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL')
      return err(new RpcDiagError('CAPTURE_FAILED', `tcpdump did not start capturing on ${this.where} within ${timeoutMs} ms: ${this.stderr.trim() || 'no output'}`))
    }
    if (outcome === 'exit') return err(classifyCaptureFailure(this.where, this.stderr || `tcpdump exited with ${this.exitCode}`, 'tcpdump', this.filter))
    return err(
      outcome.code === 'ENOENT'
        ? new RpcDiagError('CAPTURE_UNAVAILABLE', `cannot capture: "${bin}" is not installed (and the cap addon is not available); install tcpdump, or analyse a saved capture with --read FILE`, {cause: outcome})
        : new RpcDiagError('CAPTURE_FAILED', `cannot run ${bin}: ${outcome.message}`, {cause: outcome}),
    )
  }

  protected async *produce(): AsyncGenerator<CapturedPacket[]> {
    try {
      for await (const chunk of this.child.stdout) {
        const out: CapturedPacket[] = []
        this.chunks.push(chunk as Buffer, out)
        if (this.linkType === undefined && this.decoder.interfaces.length > 0) this.linkType = this.decoder.interfaces[0].linkType
        if (this.decoder.error !== undefined) {
          this.end = {reason: 'error', error: new RpcDiagError('CAPTURE_FAILED', `tcpdump wrote a pcap stream rpcdiag cannot read: ${this.decoder.error.message}`)}
          this.child.kill('SIGKILL')
          break
        }
        if (out.length > 0) yield out
      }
    } finally {
      // A consumer that broke out of its loop: tcpdump must be told before waiting for it.
      if (this.exitCode === undefined) await this.stop()
      const code = await this.exited
      this.parseCounters()
      if (this.end === undefined) {
        const cut = this.chunks.finish()
        if (this.stopping) this.end = {reason: 'stopped'}
        else if (code !== 0 && code !== null) {
          this.end = {reason: 'error', error: classifyCaptureFailure(this.where, this.stderr.replace(LISTENING, '') || `tcpdump exited with ${code}`, 'tcpdump')}
        } else if (cut !== undefined && cut.code !== 'EMPTY') {
          this.end = {reason: 'error', error: new RpcDiagError('CAPTURE_FAILED', `tcpdump's pcap stream ended mid-record: ${cut.message}`)}
        } else this.end = {reason: 'eof'}
      }
    }
  }

  private keepStderr(d: string): void {
    // Keep the head (the error, if any) and the tail (the counters); drop the middle of a long run.
    this.stderr = this.stderr.length > 64 * 1024 ? this.stderr.slice(0, 4096) + this.stderr.slice(-8192) + d : this.stderr + d
  }

  private parseCounters(): void {
    const kernel = lastCount(this.stderr, /(\d+) packets? dropped by kernel/g)
    const iface = lastCount(this.stderr, /(\d+) packets? dropped by interface/g)
    const received = lastCount(this.stderr, /(\d+) packets? received by filter/g)
    if (kernel !== undefined) this.counters.kernelDrops = kernel
    if (iface !== undefined) this.counters.interfaceDrops = iface
    if (received !== undefined) this.counters.received = received
  }

  /** SIGUSR1 makes tcpdump print its counters (libpcap's pcap_stats) on stderr. */
  override async refreshStats(): Promise<CaptureStats> {
    if (this.exitCode === undefined) {
      const before = this.stderr.length
      this.child.kill('SIGUSR1')
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000)
        t.unref()
        const on = () => {
          if (/dropped by kernel/.test(this.stderr.slice(before))) {
            clearTimeout(t)
            this.child.stderr.off('data', on)
            resolve()
          }
        }
        this.child.stderr.on('data', on)
      })
    }
    this.parseCounters()
    return this.stats()
  }

  /** SIGINT: tcpdump writes out what it holds, prints its counters and exits; stdout then ends. */
  async stop(): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    if (this.exitCode !== undefined) return
    this.child.kill('SIGINT')
    this.stopTimer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS)
    this.stopTimer.unref()
  }
}
