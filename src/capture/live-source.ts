import {performance} from 'node:perf_hooks'

import {
  type CapturedPacket,
  isSupportedLinkType,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  linkTypeName,
  unsupportedLinkTypeMessage,
  wireLengthFromHeaders,
} from '../../decoders/packet/index.js'
import {err, ok, type Result, type RpcDiagError, UsageError} from '../errors.js'
import {type CapHandle, type CapLoader, loadCap} from './cap-addon.js'
import {classifyCaptureFailure} from './failure.js'
import {BaseCaptureSource, type CaptureStats} from './capture-source.js'
import {CAP_DEFAULT_BUFFER_SIZE, DEFAULT_SNAPLEN, defaultInterface, type LiveCaptureOptions} from './live-options.js'
import {openSockets, readPacketSocketCounters} from './live-source-drops.js'

export interface CapSourceOptions extends LiveCaptureOptions {
  /** How to load the addon (default: require('cap')). */
  loadCap?: CapLoader
  /**
   * Bytes of packets held for a consumer that has fallen behind; past this
   * packets are dropped and counted in queueDrops (default 64 MiB). libpcap
   * cannot be paused, so the alternative is unbounded memory.
   */
  maxQueueBytes?: number
}

/**
 * Every Cap handle this process made, kept reachable for good. cap 0.2's
 * destructor is unsafe in two ways: for a handle whose open() threw it stops a
 * poll handle that was never started (the process aborts), and for a closed
 * one it frees a uv_poll_t that was stopped but never uv_close()d, still
 * linked in libuv's handle queue (memory corruption, seen as crashes once many
 * sockets come and go). Never collecting them avoids both; a handle is a few
 * hundred bytes once closed.
 */
const retainedHandles: CapHandle[] = []

/** cap 0.2 hard-codes libpcap's snaplen to 65535. */
const CAP_MAX_SNAPLEN = 65_535
const SLAB = 1024 * 1024
const DEFAULT_MAX_QUEUE = 64 * 1024 * 1024

/** cap names the link type; unknown ones come as "Unknown linktype N" with the DLT number. */
function capLinkType(name: string): number | undefined {
  switch (name) {
    case 'ETHERNET':
      return LINKTYPE_ETHERNET
    case 'LINKTYPE_LINUX_SLL':
      return LINKTYPE_LINUX_SLL
    case 'NULL':
      return LINKTYPE_NULL
    case 'RAW': // DLT_RAW (12 or 14): raw IPv4/IPv6
      return LINKTYPE_RAW
    case 'IEEE802_11_RADIO':
      return 127
    default: {
      const m = /(\d+)/.exec(name)
      return m ? Number(m[1]) : undefined
    }
  }
}

/**
 * Live capture through libpcap (the cap addon): interface, BPF filter (compiled
 * and run in the kernel), snaplen, buffer size. Opening is synchronous; a
 * packet sent after open returns is captured.
 *
 * cap hands over only the bytes, not libpcap's timestamp: packets are stamped
 * when they reach JavaScript (microsecond resolution, a little after the
 * kernel saw them). Use the tcpdump backend when kernel timestamps matter.
 */
export function openCapSource(opts: CapSourceOptions = {}): Result<CapSource, RpcDiagError> {
  const loaded = (opts.loadCap ?? loadCap)()
  if (!loaded.ok) return loaded
  const {Cap} = loaded.value
  let device = opts.interface ?? defaultInterface()
  let devices: string[] = []
  try {
    devices = Cap.deviceList().map((d) => d.name)
    device ??= Cap.findDevice()
  } catch {
    // Listing needs no privilege, but if it fails, open() says what is wrong.
  }
  if (device === undefined) return err(new UsageError('NO_SUCH_INTERFACE', 'no capture interface found; name one with --interface'))
  if (devices.length > 0 && !devices.includes(device)) {
    return err(new UsageError('NO_SUCH_INTERFACE', `no capture interface "${device}"; there are: ${devices.join(', ')}`))
  }
  const snaplen = Math.min(opts.snaplen ?? DEFAULT_SNAPLEN, CAP_MAX_SNAPLEN)
  const buffer = Buffer.alloc(snaplen)
  const socketsBefore = openSockets()
  const handle = new Cap()
  retainedHandles.push(handle)
  let name: string
  try {
    name = handle.open(device, opts.filter?.expression ?? '', opts.bufferSize ?? CAP_DEFAULT_BUFFER_SIZE, buffer)
  } catch (e) {
    // Never close a handle whose open threw: cap 0.2 aborts the process.
    return err(classifyCaptureFailure(device, e instanceof Error ? e.message : String(e), 'cap', opts.filter?.expression))
  }
  const linkType = capLinkType(name)
  if (linkType === undefined || !isSupportedLinkType(linkType)) {
    handle.close()
    return err(new UsageError('UNSUPPORTED_LINK_TYPE', `${device}: ${linkType === undefined ? `link type ${name} is not supported` : unsupportedLinkTypeMessage(linkType)}`))
  }
  // The capture's packet socket is the one that appeared while it opened.
  const fds = [...openSockets()].filter(([fd, inode]) => socketsBefore.get(fd) !== inode).map(([fd]) => fd)
  return ok(new CapSource(handle, buffer, device, linkType, fds, opts))
}

export class CapSource extends BaseCaptureSource {
  readonly kind = 'cap' as const
  readonly timestampSource = 'userspace' as const
  readonly filter: string | undefined
  readonly description: string
  private batch: CapturedPacket[] = []
  private queued = 0
  private wake: (() => void) | undefined
  private wakeScheduled = false
  private closed = false
  private slab: Uint8Array = new Uint8Array(0)
  private slabAt = 0
  private readonly maxQueue: number

  constructor(
    private readonly handle: CapHandle,
    private readonly buffer: Buffer,
    readonly device: string,
    readonly linkType: number,
    private readonly socketFds: readonly number[],
    opts: CapSourceOptions,
  ) {
    super(opts.signal)
    this.filter = opts.filter?.expression
    this.description = `${device} via libpcap (cap), link-type ${linkTypeName(linkType)}`
    this.maxQueue = opts.maxQueueBytes ?? DEFAULT_MAX_QUEUE
    handle.on('packet', (nbytes, truncated) => this.onPacket(nbytes, truncated))
    if (this.stopping) void this.stop()
  }

  private onPacket(nbytes: number, truncated: boolean): void {
    if (this.closed) return
    if (this.queued + nbytes > this.maxQueue) {
      this.counters.queueDrops++
      return
    }
    const t = performance.timeOrigin + performance.now()
    // cap reuses one buffer for every packet: copy out into a shared slab, so
    // a packet costs no allocation of its own.
    if (this.slab.length - this.slabAt < nbytes) {
      this.slab = new Uint8Array(Math.max(SLAB, nbytes))
      this.slabAt = 0
    }
    const data = this.slab.subarray(this.slabAt, this.slabAt + nbytes)
    data.set(this.buffer.subarray(0, nbytes))
    this.slabAt += nbytes
    const tsSec = Math.floor(t / 1000)
    const origLen = truncated || nbytes >= CAP_MAX_SNAPLEN ? Math.max(nbytes, wireLengthFromHeaders(this.linkType, data) ?? nbytes) : nbytes
    this.batch.push({linkType: this.linkType, tsSec, tsNsec: Math.round((t - tsSec * 1000) * 1e6), origLen, data, interfaceId: 0})
    this.queued += nbytes
    // libpcap delivers a burst in one loop; hand the whole burst over at once.
    if (!this.wakeScheduled) {
      this.wakeScheduled = true
      setImmediate(() => {
        this.wakeScheduled = false
        this.wake?.()
      })
    }
  }

  protected async *produce(): AsyncGenerator<CapturedPacket[]> {
    for (;;) {
      if (this.batch.length > 0) {
        const b = this.batch
        this.batch = []
        this.queued = 0
        yield b
        continue
      }
      if (this.closed) break
      await new Promise<void>((resolve) => (this.wake = resolve))
      this.wake = undefined
    }
    this.end ??= {reason: 'stopped'}
  }

  /** Ask the kernel for the ring's drop count (see live-source-drops.ts); it stays undefined if that cannot be read. */
  override async refreshStats(): Promise<CaptureStats> {
    if (!this.closed) {
      for (const fd of this.socketFds) {
        const c = await readPacketSocketCounters(fd)
        // Counters reset on every read: add them up.
        if (c !== undefined) this.counters.kernelDrops = (this.counters.kernelDrops ?? 0) + c.drops
      }
    }
    return this.stats()
  }

  /** Close the libpcap handle; packets already queued are still handed out. */
  async stop(): Promise<void> {
    if (this.stopping && this.closed) return
    this.stopping = true
    if (this.closed) return
    // The drop counter lives on the socket: read it before closing.
    await this.refreshStats()
    if (this.closed) return
    this.closed = true
    this.handle.close()
    this.handle.removeAllListeners('packet')
    this.wake?.()
  }
}
