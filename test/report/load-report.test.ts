// The load test report's data from a real run against a real server on 127.0.0.1.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LoadReportBuilder, type ReportData} from '../../src/report/index.js'
import {type LoadReport, prepareCall, runLoad} from '../../src/rpc/index.js'
import {loadSchema} from '../../src/rpc/proto/index.js'
import {type MixedServer, mixedServer} from './helpers/mixed-server.js'

const REPEAT = 400
/** The server answers within 3 ms or never: this tells them apart even on a machine busy with other work. */
const TIMEOUT_MS = 1500

describe('load report of a run with errors and unanswered calls', () => {
  let srv: MixedServer
  let report: LoadReport
  let data: ReportData
  beforeAll(async () => {
    srv = await mixedServer()
    const schema = loadSchema({protoFiles: ['examples/order.proto'], importPaths: []})
    if (!schema.ok) throw schema.error
    const prepared = prepareCall({method: 'Order.makeOrder', schema: schema.value, body: {kind: 'json', value: {price: 100, goods: 'apple'}}})
    if (!prepared.ok) throw prepared.error
    const builder = new LoadReportBuilder({
      method: 'Order.makeOrder',
      addr: `127.0.0.1:${srv.addr.port}`,
      repeat: REPEAT,
      concurrency: 8,
      pipeline: 1,
      connectionPerCall: false,
      timeoutMs: TIMEOUT_MS,
      startedAtEpochMs: Date.now(),
    })
    const r = await runLoad({addr: srv.addr, prepared: prepared.value, repeat: REPEAT, concurrency: 8, timeoutMs: TIMEOUT_MS, onCall: (c) => builder.call(c)})
    if (!r.ok) throw r.error
    report = r.value
    data = builder.build(report, {generatedAt: new Date(0)})
  })
  afterAll(() => srv.close())

  it('counts every call once by outcome, as the server answered them', () => {
    const st = Object.fromEntries(data.statuses.map((s) => [s.key, s.count]))
    expect(st).toEqual({ok: REPEAT - srv.errors.length - srv.dropped.length, error: srv.errors.length, unanswered: srv.dropped.length})
    expect(st.ok).toBe(report.ok)
    expect(data.methods[0]).toMatchObject({name: 'Order.makeOrder', calls: REPEAT})
    expect(data.methods[0].latency!.max).toBeLessThan(TIMEOUT_MS)
  })

  it('lists exactly the msg_ids the server dropped, each with its transport error', () => {
    expect(data.calls.rows.map((r) => r.msgId).sort()).toEqual([...srv.dropped].sort())
    for (const r of data.calls.rows) {
      expect(r).toMatchObject({status: 'unanswered', reason: 'CALL_TIMEOUT'})
      expect(data.calls.causes[r.causes[0]]).toContain(`within ${TIMEOUT_MS} ms`)
      // Waited for about the timeout (from the send; the deadline began a little earlier, at the call's start).
      expect(r.ms).toBeGreaterThan(TIMEOUT_MS * 0.9)
    }
  })

  it('has the error codes and the run’s parameters', () => {
    expect(data.load!.errorCodes).toEqual([
      {kind: 'server', code: '10000009', name: 'ERROR_METHOD_NOT_FOUND', count: srv.errors.length},
      {kind: 'transport', code: 'CALL_TIMEOUT', name: 'CALL_TIMEOUT', count: srv.dropped.length, example: expect.stringContaining('no response')},
    ])
    const params = Object.fromEntries(data.load!.params.map((p) => [p.label, p.value]))
    expect(params).toMatchObject({'Calls asked (--repeat)': '400', 'Concurrency (--concurrency)': '8', 'Timeout (--timeout)': '1500 ms', Mode: expect.stringMatching(/^reuse: /)})
    const an = Object.fromEntries(data.anomalies.map((a) => [a.key, a.count]))
    expect(an).toMatchObject({unanswered: srv.dropped.length, serverErrors: srv.errors.length, malformed: 0})
  })

  it('counts throughput by when calls finished and starts by when they began, both summing to every call', () => {
    const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0)
    expect(sum(data.rates.calls)).toBe(REPEAT)
    expect(sum(data.rates.finished!)).toBe(REPEAT)
    expect(sum(data.rates.byStatus.unanswered)).toBe(srv.dropped.length)
    expect(data.time.originEpochMs).toBeUndefined()
  })
})
