// The sniff report's data from real captures run through the real pipeline
// (runSniff reading the file, the report teed beside a second consumer).
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {type ReportData, sniffReportOutput} from '../../src/report/index.js'
import {runSniff, type SniffEvent, teeOutputs} from '../../src/sniff/index.js'
import {type MixedCapture, TIMEOUT_MS, writeMixedCapture} from './helpers/mixed-capture.js'

const FIXTURE = 'test/fixtures/pcap/rocket_fast_25calls_12346.pcap'

async function reportOf(file: string, timeoutMs: number): Promise<{data: ReportData; events: SniffEvent[]}> {
  const events: SniffEvent[] = []
  let report: ReturnType<typeof sniffReportOutput> | undefined
  const r = await runSniff({
    capture: {read: file},
    session: {timeoutMs, connections: true},
    output: (ctx) => {
      report = sniffReportOutput(ctx)
      return teeOutputs({event: (e) => events.push(e)}, report)
    },
  })
  if (!r.ok) throw r.error
  const outcome = await r.value.done
  return {data: report!.build(outcome, new Date(0)), events}
}

describe('sniff report of the rocket capture (25 calls, one connection each)', () => {
  let data: ReportData
  let events: SniffEvent[]
  beforeAll(async () => ({data, events} = await reportOf(FIXTURE, 100)))

  it('heads the page with the source, the time span, the timestamp source and the counts', () => {
    const facts = Object.fromEntries(data.facts.map((f) => [f.label, f.value]))
    expect(facts['Capture source']).toBe(`file ${FIXTURE} (pcap, link-type EN10MB)`)
    expect(facts['Time span']).toMatch(/^2026-11-2\d \d\d:48:22\.959 UTC[+-]\d\d:\d\d to 2026-11-2\d \d\d:48:23\.784 UTC[+-]\d\d:\d\d \(825\.\d+ ms\)$/)
    expect(facts['Timestamp source']).toContain('capture file')
    expect(facts.Calls).toBe('25 requests, 25 answered (0 with err_code != 0), 0 unanswered')
    expect(data.time.originEpochMs).toBe(1_795_488_502_000)
  })

  it('lists every anomaly class of the summary with its count, zeros included', () => {
    const counts = Object.fromEntries(data.anomalies.map((a) => [a.key, a.count]))
    expect(counts).toMatchObject({unanswered: 0, duplicateResponses: 0, orphanResponses: 0, errorResponses: 0, malformedFrames: 0, gaps: 0, serverNoFin: 23, 'warning:RESYNC': 0})
    expect(Object.keys(counts)).not.toContain('requests')
    expect(Object.keys(counts)).not.toContain('packets')
  })

  it('has the method and server rows with the summary figures, and all 25 calls as points', () => {
    expect(events.filter((e) => e.type === 'transaction').length).toBe(25)
    expect(data.methods[0]).toMatchObject({name: 'Order.makeOrder', calls: 25, statuses: {ok: 25}, latency: {min: 0.282, max: 3.877}})
    expect(data.servers.map((s) => s.name)).toEqual(['127.0.0.1:12346'])
    expect(data.points).toMatchObject({kept: 25, total: 25, groupNames: ['Order.makeOrder'], statusKeys: ['ok']})
    expect(data.statuses).toEqual([{key: 'ok', label: 'answered, err_code 0', count: 25, answered: true}])
    expect(data.rates.calls.reduce((a, b) => a + b, 0)).toBe(25)
    expect(data.calls).toEqual({total: 0, causes: [], rows: []})
  })

  it('keeps the slowest call’s connection first, with SYN, request, reply and FIN in time order', () => {
    const l = data.ladders!
    expect(l.totalConnections).toBe(25)
    const first = l.conns[0]
    expect(first.why[0]).toBe('slowest call 3.877 ms')
    expect(first.items.map((i) => [i.kind, i.from])).toEqual([
      ['syn', 'client'],
      ['request', 'client'],
      ['reply', 'server'],
      ['fin', 'client'],
      ['warning', undefined],
    ])
    expect(first.items[3].t).toBeGreaterThan(first.items[2].t)
    expect(first.items[4].label).toMatch(/^SERVER_NO_FIN: /)
    // The 23 connections rocket left in CLOSE_WAIT carry that warning: every one is kept.
    expect(l.conns.filter((c) => c.why.some((w) => w.includes('warning'))).length).toBe(23)
  })
})

describe('sniff report of a generated capture with every kind of trouble', () => {
  let cap: MixedCapture
  let data: ReportData
  beforeAll(async () => {
    cap = writeMixedCapture(join(mkdtempSync(join(tmpdir(), 'rpcdiag-report-')), 'mixed.pcap'), 3000)
    ;({data} = await reportOf(cap.file, TIMEOUT_MS))
  })

  it('lists exactly the unanswered and late msg_ids in the calls table, with why each ended', () => {
    const rows = Object.fromEntries(data.calls.rows.map((r) => [r.msgId, r]))
    const expected = [...cap.unanswered.closed, ...cap.unanswered.reset, ...cap.unanswered.end, ...cap.late]
    expect(Object.keys(rows).sort()).toEqual(expected.sort())
    for (const id of cap.unanswered.closed) expect(rows[id]).toMatchObject({status: 'unanswered', reason: 'the connection ended first'})
    expect(rows[cap.unanswered.end[0]]).toMatchObject({status: 'unanswered', reason: 'the capture ended first'})
    expect(rows[cap.late[0]]).toMatchObject({status: 'late'})
    expect(rows[cap.late[0]].ms).toBeGreaterThan(TIMEOUT_MS)
    const causes = rows[cap.unanswered.reset[0]].causes.map((i) => data.calls.causes[i])
    expect(causes[0]).toBe('the server reset the connection without answering')
  })

  it('counts outcomes and anomalies as the capture was built', () => {
    const st = Object.fromEntries(data.statuses.map((s) => [s.key, s.count]))
    expect(st).toEqual({ok: cap.calls - cap.errors - 5, error: cap.errors, late: 1, unanswered: 4})
    const an = Object.fromEntries(data.anomalies.map((a) => [a.key, a.count]))
    expect(an).toMatchObject({duplicateResponses: cap.duplicates, orphanResponses: cap.orphans, errorResponses: cap.errors})
    expect(data.methods.map((m) => m.calls)).toEqual([1000, 1000, 1000])
    expect(data.servers.map((s) => s.name).sort()).toEqual(['127.0.0.1:12345', '127.0.0.1:39999'])
  })

  it('keeps a ladder for every connection with trouble: the reset one shows the server’s RST after the request', () => {
    const l = data.ladders!
    const reset = l.conns.find((c) => c.items.some((i) => i.kind === 'rst'))!
    expect(reset.why).toContain('RST')
    const kinds = reset.items.map((i) => `${i.kind}:${i.from ?? ''}`)
    expect(kinds).toEqual(['syn:client', 'request:client', 'rst:server'])
    expect(reset.items[1]).toMatchObject({status: 'unanswered', msgId: cap.unanswered.reset[0]})
    const dup = l.conns.find((c) => c.items.some((i) => i.kind === 'duplicate'))!
    expect(dup.why).toContain('1 duplicate reply')
    // A long-lived connection of ~200 calls keeps its first and last events, every anomaly and its slowest call.
    expect(dup.omitted).toBeGreaterThan(0)
    expect(dup.items.length).toBeLessThanOrEqual(1 + 60 + 60 + 100 + 2)
    for (const id of [...cap.unanswered.closed, ...cap.late]) expect(l.conns.some((c) => c.items.some((i) => i.msgId === id))).toBe(true)
  })

  it('samples nothing at 3,000 calls and bounds the bands and buckets', () => {
    expect(data.points.kept).toBe(3000)
    expect(data.rates.calls.length).toBeLessThanOrEqual(512)
    expect(data.bands.groups.map((g) => g.name)).toEqual(['(all methods)', ...data.points.groupNames])
  })
})

describe('sniff report of a capture that cut the replies (tcpdump -s 136: truncated_replies.pcap)', () => {
  it('lists the three calls as uncertain, with what the capture lost, and none as unanswered', async () => {
    const {data, events} = await reportOf('test/fixtures/pcap/truncated_replies.pcap', 5000)
    const uncertain = events.filter((e) => e.type === 'uncertain')
    expect(uncertain).toHaveLength(3)
    expect(data.calls.rows.map((r) => r.status)).toEqual(['uncertain', 'uncertain', 'uncertain'])
    expect(data.calls.rows.map((r) => r.msgId).sort()).toEqual(uncertain.map((e) => (e.type === 'uncertain' ? (e.request ?? e.response)!.msgId : '')).sort())
    for (const r of data.calls.rows) expect(r.reason).toMatch(/^truncated packets: /)
  })
})
