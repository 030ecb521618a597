// sniff --report on a live capture of lo: `call` talking to `serve` (rpcdiag
// processes), one call left unanswered by the server's script; Ctrl-C ends the
// capture and the report is written from the same events the terminal got.
// Live capture needs root (CI runs as root).
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import type {ReportData} from '../../src/report/index.js'
import {type LongRunning, runCli, startCli} from '../rpc/helpers/cli-process.js'

const ROOT = process.getuid?.() === 0
const PROTO = ['--proto', 'examples/order.proto']
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-report-live-'))
const running: LongRunning[] = []
afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    await p.exited
  }
})

function start(args: string[]): LongRunning {
  const p = startCli(args)
  running.push(p)
  return p
}

/** The JSON a report page is drawn from. */
function reportData(file: string): ReportData {
  const html = readFileSync(file, 'utf8')
  const m = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)
  if (m === null) throw new Error(`no report data in ${file}`)
  return JSON.parse(m[1]) as ReportData
}

describe.skipIf(!ROOT)('sniff --report on a live capture (needs root: CI runs as root)', () => {
  it('reports the live calls: the unanswered one in the table, its connection’s ladder, the capture named', async () => {
    const server = start(['serve', ...PROTO, '--port', '0', '--responses', 'examples/demo-responses.json'])
    const port = Number((await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 'stderr'))[1])
    const file = join(dir, 'live.html')
    const sniff = start(['sniff', '-i', 'lo', '--port', String(port), '--timeout', '300', '--json', '--report', file])
    await sniff.waitFor(/capturing on lo/, 'stderr')
    const call = (price: number) => runCli(['call', 'Order.makeOrder', ...PROTO, '--addr', `127.0.0.1:${port}`, '--json', JSON.stringify({price, goods: 'pear'}), '--timeout', '1000', '--format', 'json'])
    const ok = await call(100)
    expect(ok.code).toBe(0)
    // demo-responses.json: no reply when price < 10, as rocket's own makeOrder.
    const silent = await call(5)
    expect(silent.code).toBe(1)
    const lost = JSON.parse(silent.stdout).msgId as string
    await sniff.waitFor(/"type":"unanswered"/)
    sniff.child.kill('SIGINT')
    const end = await sniff.exited
    expect(end.code).toBe(0)
    expect(end.stderr).toMatch(/report written to .*live\.html/)

    const data = reportData(file)
    const facts = Object.fromEntries(data.facts.map((f) => [f.label, f.value]))
    expect(facts['Capture source']).toMatch(/^live capture on lo via /)
    expect(facts['Timestamp source']).toMatch(/libpcap|kernel/)
    expect(data.calls.rows.map((r) => [r.msgId, r.status, r.reason])).toEqual([[lost, 'unanswered', 'no reply within --timeout']])
    expect(Object.fromEntries(data.statuses.map((s) => [s.key, s.count]))).toEqual({ok: 1, unanswered: 1})
    const ladder = data.ladders!.conns.find((c) => c.items.some((i) => i.msgId === lost))!
    expect(ladder.items.slice(0, 2).map((i) => [i.kind, i.from])).toEqual([
      ['syn', 'client'],
      ['request', 'client'],
    ])
    expect(ladder.items.some((i) => i.kind === 'fin' && i.from === 'client')).toBe(true)
    // Four rpcdiag processes from the TypeScript sources on a shared 2-core machine: give them time.
  }, 180_000)
})
