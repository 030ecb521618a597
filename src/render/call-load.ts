import type {ChalkInstance} from 'chalk'

import type {LoadReport} from '../rpc/load-test.js'
import {roundMs} from '../stats/index.js'
import {epochSecondsFromMs} from './timestamp.js'
import {durationText, formatDuration} from '../stats/duration.js'
import {describeStray} from './call-result.js'
import {histogram, renderHistogram} from './histogram.js'
import {renderTable} from './table.js'

const MODE_TEXT: Record<LoadReport['mode'], (r: LoadReport) => string> = {
  reuse: (r) => `${r.concurrency} connection(s), one call in flight on each`,
  'per-call': (r) => `a new connection per call, ${r.concurrency} at a time`,
  pipeline: (r) => `${r.concurrency} connection(s), ${r.pipeline} calls in flight on each`,
}

function f3(v: number): string {
  return v.toFixed(3)
}

/** "99.99" for 99.99, "10" for 10. */
function pText(p: number): string {
  return String(p)
}

/** What ended the run, in the words of the flags that asked for it. */
function askedText(r: LoadReport): string {
  const a = r.asked
  const parts: string[] = []
  if (a.repeat !== undefined) parts.push(`--repeat ${a.repeat}`)
  if (a.durationMs !== undefined) parts.push(`--duration ${formatDuration(a.durationMs)}`)
  return parts.join(' or ') + (parts.length > 1 ? ', whichever came first' : '')
}

function warmupText(r: LoadReport): string | undefined {
  const w = r.asked.warmup
  if (w === undefined) return undefined
  const asked = 'calls' in w ? `the first ${w.calls} calls` : `the calls of the first ${formatDuration(w.ms)}`
  return `${r.warmupCalls} calls (${asked}), left out of every figure below`
}

/** A load test summary like hey's and ghz's: counts, rate, latency percentiles, histogram, errors, strays. */
export function renderLoadReport(r: LoadReport, opts: {colors: ChalkInstance}): string[] {
  const c = opts.colors
  const errors = r.calls - r.ok
  const out: string[] = []
  out.push(c.bold('Summary:'))
  out.push(`  Calls:         ${r.calls}  (${MODE_TEXT[r.mode](r)}; ${r.connections} connection(s) opened)`)
  out.push(`  Asked:         ${askedText(r)}`)
  if (r.interrupted !== undefined) out.push(c.yellow(`  Stopped:       early, by ${r.interrupted}; the calls in flight were let finish`))
  const warm = warmupText(r)
  if (warm !== undefined) out.push(`  Warm-up:       ${warm}`)
  if (r.asked.rps !== undefined) {
    const skipped = r.rpsSkipped > 0 ? c.yellow(`; ${r.rpsSkipped} slots skipped: every connection was busy (raise --concurrency)`) : ''
    out.push(`  Rate limit:    ${r.asked.rps} calls/s (--rps, one schedule across all connections)${skipped}`)
  }
  out.push(`  Total:         ${durationText(r.durationMs)}`)
  out.push(`  Calls/sec:     ${r.callsPerSec.toFixed(1)}`)
  out.push(`  Client CPU:    ${(r.clientCpuMs / 1000).toFixed(3)} s  (${r.durationMs > 0 ? Math.round((r.clientCpuMs / r.durationMs) * 100) : 0}% of one core)`)
  out.push(`  OK:            ${r.ok}`)
  out.push(`  Errors:        ${errors === 0 ? '0' : c.red(String(errors))}`)
  if (r.latency !== undefined) {
    const l = r.latency
    out.push('')
    out.push(c.bold('Latency (ms):'))
    out.push(
      ...renderTable(
        ['min', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max'].map((h, i) => ({
          header: h,
          get: (x: number[]) => f3(x[i]),
          align: 'right' as const,
        })),
        [[l.min, l.mean, l.p50, l.p90, l.p99, l.p999, l.max]],
        {indent: '  '},
      ),
    )
    out.push('')
    out.push(c.bold('Latency distribution:'))
    const widest = Math.max(...r.distribution.map((d) => pText(d.p).length))
    for (const d of r.distribution) out.push(`  ${pText(d.p).padStart(widest)} % in ${f3(d.ms)} ms`)
    out.push('')
    out.push(c.bold('Histogram (log scale):'))
    out.push(...renderHistogram(r.histogram).map((line) => '  ' + line))
  }
  if (r.serverErrors.length > 0) {
    out.push('')
    out.push(c.bold('Server errors (err_code):'))
    out.push(
      ...renderTable(
        [
          {header: 'ERR_CODE', get: (e: LoadReport['serverErrors'][number]) => String(e.errCode), align: 'right'},
          {header: 'NAME', get: (e) => e.errName},
          {header: 'CALLS', get: (e) => String(e.count), align: 'right'},
        ],
        r.serverErrors,
        {indent: '  '},
      ),
    )
  }
  if (r.transportErrors.length > 0) {
    out.push('')
    out.push(c.bold('Transport errors:'))
    out.push(
      ...renderTable(
        [
          {header: 'CODE', get: (e: LoadReport['transportErrors'][number]) => e.code},
          {header: 'CALLS', get: (e) => String(e.count), align: 'right'},
          {header: 'EXAMPLE', get: (e) => e.example},
        ],
        r.transportErrors,
        {indent: '  '},
      ),
    )
  }
  if (r.causes.length > 0) {
    out.push('')
    out.push(c.bold('Likely causes of unanswered calls:'))
    for (const cause of r.causes) out.push(`  - ${cause}`)
  }
  if (r.strays.total > 0) {
    const s = r.strays
    out.push('')
    out.push(c.yellow(`Stray responses: ${s.total} (duplicate ${s.duplicate}, late ${s.late}, unknown ${s.unknown}); none was taken as an answer.`))
    for (const x of s.examples) out.push(c.yellow('  ' + describeStray(x)))
    if (s.duplicate > 0 && r.mode !== 'per-call') out.push('  With rocket, use --connection-per-call: it re-sends every earlier reply on a reused connection.')
  }
  if (r.malformed > 0) out.push(c.yellow(`Malformed input from the server: ${r.malformed} time(s) (garbage skipped or frames cut short)`))
  return out
}

/** The summary of --format json for a load test (the per-call records, when asked, come before it: see call-records). */
export function loadReportToJson(r: LoadReport): Record<string, unknown> {
  const l = r.latency
  return {
    mode: r.mode,
    concurrency: r.concurrency,
    pipeline: r.pipeline,
    asked: r.asked,
    warmupCalls: r.warmupCalls,
    ...(r.asked.rps === undefined ? {} : {rpsSkipped: r.rpsSkipped}),
    startedAt: epochSecondsFromMs(r.startedAtEpochMs),
    ...(r.interrupted === undefined ? {} : {interrupted: r.interrupted}),
    calls: r.calls,
    ok: r.ok,
    errors: r.calls - r.ok,
    connections: r.connections,
    durationMs: roundMs(r.durationMs),
    callsPerSec: Math.round(r.callsPerSec * 10) / 10,
    clientCpuMs: roundMs(r.clientCpuMs),
    latencyMs:
      l === undefined
        ? null
        : {min: roundMs(l.min), mean: roundMs(l.mean), p50: roundMs(l.p50), p90: roundMs(l.p90), p99: roundMs(l.p99), p999: roundMs(l.p999), max: roundMs(l.max)},
    // ghz's name and shape; within 1% (the latencies are counted in 1% buckets).
    latencyDistribution: r.distribution.map((d) => ({percentage: d.p, latencyMs: roundMs(d.ms)})),
    histogramScale: 'log',
    histogram: histogram(r.histogram).map((b) => ({leMs: roundMs(b.le), count: b.count})),
    serverErrors: r.serverErrors,
    transportErrors: r.transportErrors,
    strays: r.strays,
    malformed: r.malformed,
    causes: r.causes,
  }
}
