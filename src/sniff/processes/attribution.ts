// Live captures: name the process at each end of a connection, so a flow reads
// `127.0.0.1:50346(pid 123 test_rpc_client) -> 127.0.0.1:12346(pid 456 test_rpc_server)`.
//
// The kernel's socket table is read (by src/sockets) when new connections
// appear, at most every minIntervalMs. A connection rocket's client opens per
// call lives a few ms, so its client socket may be gone by the time the table
// is read: the server side is then still named through its listener, and the
// client is left unnamed rather than guessed.

import {extname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import {type Clock, type NetAddr, type PortRange, systemClock} from '../../net/index.js'
import {SocketIndex, type SocketRow} from '../../sockets/index.js'
import type {ConnRef, ProcessRef} from '../events.js'

/** Reads the socket table; the command passes a closure over collectSockets. */
export type SocketIndexLoader = () => Promise<SocketIndex>

function processOf(row: SocketRow | undefined): ProcessRef | undefined {
  return row?.pid === null || row?.pid === undefined ? undefined : {pid: row.pid, name: row.process ?? '?'}
}

export class ProcessAttribution {
  private index: SocketIndex | undefined
  private waiting: ConnRef[] = []
  private readonly done = new WeakSet<ConnRef>()
  /** Queued or being looked up. */
  private readonly asked = new WeakSet<ConnRef>()
  private running: Promise<void> | undefined
  private lastLoad = -Infinity
  /** Lookups made, for the summary and tests. */
  loads = 0

  constructor(
    private readonly load: SocketIndexLoader,
    private readonly opts: {minIntervalMs?: number; clock?: Clock} = {},
  ) {}

  /** Whether the connection's lookup is over (named or not): its events need not wait. */
  settled(ref: ConnRef): boolean {
    return this.done.has(ref)
  }

  /** A connection was seen: name its processes now if the last table knows them, else soon. */
  want(ref: ConnRef): void {
    if (this.done.has(ref) || this.asked.has(ref)) return
    if (this.index !== undefined && this.apply(this.index, ref)) {
      this.done.add(ref)
      return
    }
    this.asked.add(ref)
    this.waiting.push(ref)
    this.schedule()
  }

  /** Read the table now, before any connection: the listeners then name servers at once. */
  warm(): void {
    this.schedule()
  }

  /** Resolves once no lookup is pending. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running
  }

  private schedule(): void {
    if (this.running !== undefined) return
    const clock = this.opts.clock ?? systemClock
    const wait = Math.max(0, (this.opts.minIntervalMs ?? 100) - (clock.now() - this.lastLoad))
    this.running = (async () => {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref())
      const batch = this.waiting
      this.waiting = []
      this.lastLoad = clock.now()
      this.loads++
      try {
        this.index = await this.load()
      } catch {
        // The table could not be read (no /proc, no permission): the flows stay unnamed.
      }
      for (const ref of batch) {
        if (this.index !== undefined) this.apply(this.index, ref)
        this.done.add(ref)
      }
    })().finally(() => {
      this.running = undefined
      if (this.waiting.length > 0) this.schedule()
    })
  }

  /** Fill in what the table knows; true when both ends are named. */
  private apply(index: SocketIndex, ref: ConnRef): boolean {
    const client: NetAddr = ref.clientAddr
    const server: NetAddr = ref.serverAddr
    const f = index.flow(client, server)
    ref.clientProcess ??= processOf(f.src)
    ref.serverProcess ??= processOf(f.dst) ?? processOf(f.listener)
    return ref.clientProcess !== undefined && ref.serverProcess !== undefined
  }
}

/** The worker that reads the socket table (table-worker.ts beside this file). */
function tableWorker(): Worker {
  // .js once built; .ts from the sources, where bin/dev-worker.mjs registers tsx in the worker
  // first (Node 20 does not pass the loader on to workers).
  const ext = extname(fileURLToPath(import.meta.url))
  const url = new URL(`./table-worker${ext}`, import.meta.url)
  return ext === '.ts' ? new Worker(new URL('../../../bin/dev-worker.mjs', import.meta.url), {workerData: {module: url.href}}) : new Worker(url)
}

/**
 * Attribution from this machine's socket table, read in a worker thread so the
 * capture's event loop never waits for it. ports: the captured server ports
 * (--port), which every socket of interest has at one end. netDir: the tables
 * of another network namespace (/proc/PID/net of a process inside, --netns);
 * the owners are still found among all of this machine's processes. startWorker:
 * a worker to use instead of the table worker, when it returns one (tests start
 * one that dies).
 */
export function socketTableAttribution(
  ports?: readonly PortRange[],
  opts: {netDir?: string; startWorker?: () => Worker | undefined} = {},
): ProcessAttribution & {close(): Promise<void>} {
  let worker: Worker | undefined
  let nextId = 0
  const waiting = new Map<number, {resolve: (i: SocketIndex) => void; reject: (e: Error) => void}>()
  const start = (): Worker => {
    const w = opts.startWorker?.() ?? tableWorker()
    w.unref()
    w.on('message', (m: {id: number; rows?: SocketRow[]; localAddresses?: string[]; error?: string}) => {
      const p = waiting.get(m.id)
      waiting.delete(m.id)
      if (m.rows !== undefined) p?.resolve(new SocketIndex(m.rows, {localAddresses: m.localAddresses}))
      else p?.reject(new Error(m.error ?? 'socket table unavailable'))
    })
    // A worker that failed or exited answers nothing more: what waits on it fails (those flows
    // stay unnamed) and the next lookup starts a new one.
    const gone = (e: Error) => {
      if (worker === w) worker = undefined
      for (const p of waiting.values()) p.reject(e)
      waiting.clear()
    }
    w.on('error', gone)
    w.on('exit', (code) => gone(new Error(`the socket table worker exited (code ${code})`)))
    return w
  }
  const attribution = new ProcessAttribution(
    () =>
      new Promise<SocketIndex>((resolve, reject) => {
        worker ??= start()
        const id = nextId++
        waiting.set(id, {resolve, reject})
        worker.postMessage({id, ports, netDir: opts.netDir})
      }),
  )
  return Object.assign(attribution, {
    close: async () => {
      await worker?.terminate()
      worker = undefined
    },
  })
}
