// RED metrics of the TinyPB services a sniff sees, in Prometheus' terms: one
// more consumer of the sniff session's events (beside the printer), never a
// second pipeline. Events move counters and the latency histogram through the
// table in event-rules.ts; capture health and CLOSE_WAIT are read on a scrape.
//
//   const metrics = new SniffMetrics({closeWait: {ports}})
//   runSniff({..., session: {...SniffMetrics.sessionOptions}, output: (ctx) => teeOutputs(printer, metrics.output(ctx))})
//   await metrics.text()   // the exposition, what GET /metrics serves

import {Counter, Gauge, Histogram, Registry, collectDefaultMetrics} from 'prom-client'

import type {CaptureStats} from '../capture/index.js'
import {type Clock, systemClock} from '../net/index.js'
import type {SniffContext, SniffEvent, SniffOutput, SniffSessionOptions} from '../sniff/index.js'
import {CAPTURE_HEALTH, type CaptureHealthSource} from './capture-health.js'
import {field} from './event-rules.js'
import {CloseWaitCounts, type CloseWaitOptions} from './close-wait.js'
import {EVENT_COUNTERS, EVENT_RULES, type EventCounter, type RuleEffect} from './event-rules.js'
import {BoundedLabel, OTHER, plausibleCode, plausibleMethodName, splitMethodName} from './labels.js'

/** Response-time buckets for RPCs on a LAN or loopback: 50 us to 10 s, 1-2.5-5 steps. */
export const DURATION_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

export const DEFAULT_MAX_METHODS = 100
export const DEFAULT_MAX_SERVERS = 32
/** Distinct values of each other label (cause, finding, code, reason, err_code). */
export const MAX_CODE_VALUES = 64
export const MAX_ERR_CODES = 32
/** Live captures' drop counters are asked for at most this often (tcpdump answers SIGUSR1 on stderr). */
export const DEFAULT_STATS_INTERVAL_MS = 5000

export interface SniffMetricsOptions {
  /** Default: a registry of its own (no global state). */
  readonly registry?: Registry
  /** Distinct method names with series of their own; the rest are `other`. */
  readonly maxMethods?: number
  readonly maxServers?: number
  /** Also export the agent's own process metrics (CPU, memory, event loop): prom-client's defaults. */
  readonly processMetrics?: boolean
  /** Live: count CLOSE-WAIT server sockets from the socket table. */
  readonly closeWait?: CloseWaitOptions
  readonly statsIntervalMs?: number
  readonly clock?: Clock
}

type BaseLabels = Readonly<Record<'server' | 'service' | 'method', string>>

export class SniffMetrics {
  /** What the session must do for these metrics: report every frame, so requests are counted as they arrive. */
  static readonly sessionOptions: Pick<SniffSessionOptions, 'frames'> = {frames: true}

  readonly registry: Registry
  readonly servers: BoundedLabel
  readonly methods: BoundedLabel
  private readonly extra = new Map<string, BoundedLabel>()
  private readonly counters = new Map<EventCounter, Counter<string>>()
  private readonly duration: Histogram<string>
  private readonly rules = new Map<string, Array<RuleEffect<unknown>>>()
  private readonly base = new Map<string, Map<string, BaseLabels>>()
  private readonly closeWait: CloseWaitCounts | undefined
  private health: Omit<CaptureHealthSource, 'stats'> | undefined
  private stats: CaptureStats | undefined
  private statsAt = -Infinity
  private refreshing = false
  private readonly clock: Clock

  constructor(private readonly opts: SniffMetricsOptions = {}) {
    this.clock = opts.clock ?? systemClock
    const registry = (this.registry = opts.registry ?? new Registry())
    this.servers = new BoundedLabel('server', opts.maxServers ?? DEFAULT_MAX_SERVERS)
    this.methods = new BoundedLabel('method', opts.maxMethods ?? DEFAULT_MAX_METHODS, plausibleMethodName)
    for (const r of EVENT_RULES) {
      const list = this.rules.get(r.event) ?? []
      list.push(r.effect as RuleEffect<unknown>)
      this.rules.set(r.event, list)
    }
    for (const [key, spec] of Object.entries(EVENT_COUNTERS) as Array<[EventCounter, (typeof EVENT_COUNTERS)[EventCounter]]>) {
      const labelNames = [...(spec.perMethod ? ['server', 'service', 'method'] : ['server']), ...spec.labels]
      this.counters.set(key, new Counter({name: spec.name, help: spec.help, labelNames, registers: [registry]}))
      for (const l of spec.labels) if (!this.extra.has(l)) this.extra.set(l, this.boundedExtra(l))
    }
    this.duration = new Histogram({
      name: 'tinypb_request_duration_seconds',
      help: "Response time on the wire: the request's last byte to the response's last byte",
      labelNames: ['server', 'service', 'method'],
      buckets: [...DURATION_BUCKETS],
      registers: [registry],
    })
    this.closeWait = opts.closeWait === undefined ? undefined : new CloseWaitCounts({clock: this.clock, ...opts.closeWait})
    this.registerScraped(registry)
    if (opts.processMetrics) collectDefaultMetrics({register: registry})
  }

  /** The exposition text, as GET /metrics serves it. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  /** The SniffOutput runSniff feeds; the context is what capture health reads on a scrape. */
  output(ctx: SniffContext): SniffOutput {
    this.health = {source: ctx.source, session: ctx.session}
    return {event: (e) => this.event(e)}
  }

  event(e: SniffEvent): void {
    const effects = this.rules.get(e.type)
    if (effects === undefined) return
    for (let i = 0; i < effects.length; i++) this.apply(effects[i], e)
  }

  private apply(r: RuleEffect<unknown>, e: SniffEvent): void {
    if (r.when !== undefined && !r.when(e)) return
    const server = e.conn?.server ?? 'unknown'
    const raw = r.method?.(e)
    const base = this.baseLabels(server, raw ?? '')
    if (r.seconds !== undefined) this.duration.observe(base, r.seconds(e))
    if (r.count === undefined) return
    const counter = this.counters.get(r.count)!
    const spec = EVENT_COUNTERS[r.count]
    const head: Record<string, string> = spec.perMethod ? {...base} : {server: base.server}
    if (r.each !== undefined) {
      for (const set of r.each(e)) counter.inc(this.withExtra(head, set), 1)
      return
    }
    counter.inc(r.labels === undefined ? head : this.withExtra(head, r.labels(e)), 1)
  }

  private withExtra(head: Record<string, string>, set: Readonly<Record<string, string>>): Record<string, string> {
    const out = {...head}
    for (const k in set) out[k] = this.extra.get(k)?.value(set[k]) ?? set[k]
    return out
  }

  /** server, service, method for one (server, method name), bounded, made once. */
  private baseLabels(server: string, method: string): BaseLabels {
    let byMethod = this.base.get(server)
    if (byMethod === undefined) {
      byMethod = new Map()
      this.base.set(server, byMethod)
    }
    let b = byMethod.get(method)
    if (b === undefined) {
      const s = this.servers.value(server)
      const full = method === '' ? '' : this.methods.value(method)
      b = {server: s, ...splitMethodName(full)}
      // Past the caps, many raw names share one label set: keep the cache bounded too.
      if (s !== OTHER && full !== OTHER) byMethod.set(method, b)
    }
    return b
  }

  private boundedExtra(name: string): BoundedLabel {
    if (name === 'err_code') return new BoundedLabel(name, MAX_ERR_CODES, (v) => /^-?\d{1,10}$/.test(v))
    if (name === 'err_name') return new BoundedLabel(name, MAX_ERR_CODES)
    return new BoundedLabel(name, MAX_CODE_VALUES, plausibleCode)
  }

  /** The latest capture stats; a live source is asked for fresh drop counts at most once per interval, in the background. */
  private captureStats(h: Omit<CaptureHealthSource, 'stats'>): CaptureStats {
    const now = this.clock.now()
    if (!this.refreshing && now - this.statsAt >= (this.opts.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS)) {
      this.statsAt = now
      this.refreshing = true
      void h.source
        .refreshStats()
        .then((s) => {
          this.stats = s
        })
        .catch(() => undefined)
        .finally(() => {
          this.refreshing = false
        })
    }
    const current = h.source.stats()
    // refreshStats' answer carries the kernel's counts; stats() the packets since.
    return this.stats === undefined ? current : {...this.stats, ...current, kernelDrops: current.kernelDrops ?? this.stats.kernelDrops}
  }

  /** Metrics read when scraped: capture health, label overflow, CLOSE_WAIT. */
  private registerScraped(registry: Registry): void {
    const self = this
    for (const m of CAPTURE_HEALTH) {
      const config = {
        name: m.name,
        help: m.help,
        labelNames: ['backend'],
        registers: [registry],
        collect(this: Counter<string> | Gauge<string>) {
          this.reset()
          const h = self.health
          if (h === undefined) return
          const v = m.read({...h, stats: self.captureStats(h)})
          if (v === undefined) return
          if (this instanceof Counter) this.inc({backend: h.source.kind}, v)
          else this.set({backend: h.source.kind}, v)
        },
      }
      if (m.type === 'counter') new Counter(config)
      else new Gauge(config)
    }
    new Gauge({
      name: 'tinypb_capture_info',
      help: 'The capture: backend, where it captures, and where packet times come from (1)',
      labelNames: ['backend', 'description', 'timestamp_source'],
      registers: [registry],
      collect() {
        this.reset()
        const h = self.health
        if (h === undefined) return
        const ts = field(h.source, 'timestampSource') ?? field(h.source.stats(), 'timestampSource') ?? 'unknown'
        this.set({backend: h.source.kind, description: h.source.description, timestamp_source: ts}, 1)
      },
    })
    const bounded = () => [self.servers, self.methods, ...self.extra.values()]
    new Gauge({
      name: 'tinypb_metrics_label_values',
      help: 'Distinct values of each label with series of their own (capped: see --metrics-max-methods)',
      labelNames: ['label'],
      registers: [registry],
      collect() {
        this.reset()
        for (const l of bounded()) this.set({label: l.name}, l.size)
      },
    })
    new Gauge({
      name: 'tinypb_metrics_label_capped',
      help: '1 once a value of the label went to the `other` series: the cap was reached, or the value cannot be a real name',
      labelNames: ['label'],
      registers: [registry],
      collect() {
        this.reset()
        for (const l of bounded()) this.set({label: l.name}, l.capped ? 1 : 0)
      },
    })
    if (this.closeWait !== undefined) {
      const cw = this.closeWait
      new Gauge({
        name: 'tinypb_server_close_wait_connections',
        help: 'Server sockets in CLOSE_WAIT: the client closed, the server never did (rocket never closes); from the socket table, read at most once per interval, in the background of scrapes',
        labelNames: ['server'],
        registers: [registry],
        async collect() {
          const counts = await cw.current()
          this.reset()
          const sums = new Map<string, number>()
          for (const [server, n] of counts) {
            const s = self.servers.value(server)
            sums.set(s, (sums.get(s) ?? 0) + n)
          }
          for (const [server, n] of sums) this.set({server}, n)
        },
      })
    }
  }
}
