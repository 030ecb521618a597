import type {ChalkInstance} from 'chalk'

import type {DemoResult} from '../demo/run-demo.js'
import {roundMs} from '../stats/index.js'
import {callResultToJson, renderCallFailure, renderCallResult} from './call-result.js'
import {loadReportToJson, renderLoadReport} from './call-load.js'
import {CaptureTimeFormat} from './sniff/format.js'
import {SniffHumanRenderer} from './sniff/human.js'
import {SniffJsonRenderer} from './sniff/json.js'
import {renderSniffHistogram, renderSniffSummary} from './sniff/summary.js'
import {renderSocketsReport} from './sockets/report.js'

/** Transactions shown one per line before the rest are left to the summary. */
const TRANSACTION_LINES = 6

function section(c: ChalkInstance, title: string): string[] {
  return ['', c.bold.cyan(`━━ ${title} ━━`)]
}

function indent(lines: readonly string[], by = '  '): string[] {
  return lines.map((l) => (l === '' ? l : by + l))
}

/** `rpcdiag demo` for humans: the server, the calls, what the capture saw, the sockets, the cleanup. */
export function renderDemo(d: DemoResult, c: ChalkInstance): string[] {
  const port = d.server.address.port
  const out: string[] = [c.bold('rpcdiag demo: an embedded TinyPB server, a live capture, calls and the socket table, on this machine')]

  out.push(...section(c, '1. Server'))
  out.push(`  ${c.dim('$')} rpcdiag serve --proto ${d.server.proto} --responses ${d.server.responses} --port 0`)
  out.push(`  listening on ${d.server.address.host}:${port} (pid ${d.server.pid})`)
  if (d.capture.ok) {
    out.push(`  capturing on ${d.capture.description}, filter "${d.capture.filter}"`)
    if (d.capture.notice !== undefined) out.push(c.yellow(`  note: ${d.capture.notice}`))
  } else {
    out.push(c.yellow(`  no live capture: ${d.capture.reason}`))
  }

  out.push(...section(c, '2. Calls through the embedded client'))
  for (const call of d.calls) {
    out.push('', `${c.bold('▸')} ${call.title}`, `  ${c.dim('$')} ${call.command}`)
    const r = call.result
    if (r.status === 'transport-error') out.push(...indent(renderCallFailure(r).split('\n').map((l, i) => (i === 0 ? c.red(l) : l))))
    else out.push(...indent(renderCallResult(r, {colors: c})))
  }
  out.push('', `${c.bold('▸')} a burst of calls, as a small load test`, `  ${c.dim('$')} ${d.load.command}`)
  if (d.load.report !== undefined) out.push(...indent(renderLoadReport(d.load.report, {colors: c})))
  else out.push(c.red(`  ${d.load.error}`))

  out.push(...section(c, `3. On the wire: rpcdiag sniff -i lo --port ${port} --histogram`))
  if (d.sniff === undefined) {
    out.push(c.dim('  (skipped: no live capture, see above)'))
  } else {
    const sniff = d.sniff
    const human = new SniffHumanRenderer({colors: c, clock: new CaptureTimeFormat(() => sniff.baseSec)})
    let shown = 0
    let hidden = 0
    for (const e of sniff.events) {
      if (e.type === 'transaction' && e.status === 'ok' && shown >= TRANSACTION_LINES) {
        hidden++
        continue
      }
      if (e.type === 'transaction') shown++
      out.push(...indent(human.render(e)))
    }
    if (hidden > 0) out.push(c.dim(`  ... and ${hidden} more answered calls (all counted in the summary)`))
    out.push('', ...indent(renderSniffSummary(sniff.summary, c)), ...indent(renderSniffHistogram(sniff.latencies)))
  }

  out.push(...section(c, `4. Sockets: rpcdiag sockets --port ${port}`))
  out.push(...indent(renderSocketsReport(d.sockets, c)))

  out.push(...section(c, 'Cleanup'))
  const cl = d.cleanup
  if (cl.ok) {
    const tw = cl.timeWait === 0 ? '' : ` (${cl.timeWait} TIME-WAIT entries are the kernel's, left by the clients' closes; they expire within 60 s)`
    out.push(c.green(`  server closed, capture stopped, no socket on port ${port} owned by any process${tw}`))
  } else {
    if (!cl.serverClosed) out.push(c.red('  the server did not close'))
    if (!cl.captureStopped) out.push(c.red('  the capture did not stop'))
    for (const s of cl.leftover) out.push(c.red(`  left behind: ${s.protocol} ${s.localAddress}:${s.localPort} -> ${s.peerAddress}:${s.peerPort} ${s.state} pid ${s.pid}`))
  }
  out.push(c.dim(`  demo ran in ${(d.durationMs / 1000).toFixed(2)} s`))
  return out
}

/** `rpcdiag demo --json`: the same content as one document. */
export function demoToJson(d: DemoResult): Record<string, unknown> {
  const sniff = d.sniff
  const clock = new CaptureTimeFormat(() => sniff?.baseSec)
  const json = new SniffJsonRenderer({clock, verbose: true})
  return {
    server: {host: d.server.address.host, port: d.server.address.port, pid: d.server.pid, proto: d.server.proto, responses: d.server.responses},
    capture: d.capture,
    calls: d.calls.map((call) => ({title: call.title, command: call.command, ...callResultToJson(call.result)})),
    load: {command: d.load.command, ...(d.load.report === undefined ? {error: d.load.error} : loadReportToJson(d.load.report))},
    sniff:
      sniff === undefined
        ? null
        : {events: sniff.events.map((e) => json.toJson(e)).filter((e) => e !== undefined), summary: sniff.summary},
    sockets: d.sockets,
    cleanup: {
      ok: d.cleanup.ok,
      serverClosed: d.cleanup.serverClosed,
      captureStopped: d.cleanup.captureStopped,
      leftover: d.cleanup.leftover,
      timeWait: d.cleanup.timeWait,
    },
    durationMs: roundMs(d.durationMs),
  }
}
