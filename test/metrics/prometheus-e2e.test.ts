// The agent as it runs on a host: `rpcdiag sniff --metrics ... -q` capturing
// the embedded server on lo (through tcpdump, a capture process), a real
// Prometheus scraping it every second while calls run, and PromQL through
// Prometheus' HTTP API checked against what the client itself saw.
import {connect} from 'node:net'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {encodeFrame, type StreamEvent, TinyPbStreamDecoder} from '../../decoders/tinypb/index.js'
import {DURATION_BUCKETS} from '../../src/metrics/index.js'
import {type LoadReport, prepareCall, parseResponses, runLoad, type ServerHandle, startServer} from '../../src/rpc/index.js'
import {loadSchema} from '../../src/rpc/proto/index.js'
import {type LongRunning, startCli} from '../rpc/helpers/cli-process.js'
import {HAVE_PROMETHEUS, type Prometheus, startPrometheus} from './prometheus.js'

const ROOT = process.getuid?.() === 0

const schema = (() => {
  const r = loadSchema({protoFiles: ['examples/order.proto'], importPaths: []})
  if (!r.ok) throw r.error
  return r.value
})()

/** 6 ms per good call puts the latencies inside one bucket (5-10 ms) rather than across a bound. */
const RESPONSES = JSON.stringify({
  'Order.makeOrder': [{when: {price: {$lt: 10}}, no_reply: true}, {delay_ms: 6, response: {order_id: '20230514'}}],
})
const GOOD_CALLS = 1000
const SILENT_CALLS = 3
const UNKNOWN_CALLS = 2

/** A call to a method the server does not have: it answers 10000009, as tinyrpc does. */
async function unknownMethodCall(port: number, msgId: string): Promise<number> {
  const s = connect(port, '127.0.0.1')
  s.write(encodeFrame({msgId, methodName: 'Order.cancelOrder', pbData: Buffer.alloc(0)}))
  const decoder = new TinyPbStreamDecoder()
  let buf = Buffer.alloc(0)
  try {
    for await (const chunk of s) {
      buf = Buffer.concat([buf, chunk as Buffer])
      const out: StreamEvent[] = []
      decoder.decode(buf, 0, buf.length, out)
      const frame = out.find((e) => e.kind === 'frame')
      if (frame !== undefined && frame.kind === 'frame') return frame.errCode
    }
    throw new Error('connection closed without a reply')
  } finally {
    s.destroy()
  }
}

function bucketAround(seconds: number): {lo: number; hi: number} {
  const i = DURATION_BUCKETS.findIndex((b) => seconds <= b)
  return i < 0 ? {lo: DURATION_BUCKETS.at(-1)!, hi: Infinity} : {lo: i === 0 ? 0 : DURATION_BUCKETS[i - 1], hi: DURATION_BUCKETS[i]}
}

describe.skipIf(!ROOT || !HAVE_PROMETHEUS)('Prometheus scraping the agent (needs root for the capture and the prometheus package: CI has both)', () => {
  let server: ServerHandle
  let agent: LongRunning
  let prom: Prometheus
  let load: LoadReport

  beforeAll(async () => {
    const script = parseResponses(RESPONSES, schema)
    if (!script.ok) throw script.error
    const s = await startServer({schema, script: script.value, port: 0})
    if (!s.ok) throw s.error
    server = s.value
    const port = server.address.port
    // --timeout 2000: tcpdump hands packets over in blocks (up to 1 s late at low rates).
    agent = startCli(['sniff', '-i', 'lo', '--port', String(port), '--backend', 'tcpdump', '--proto', 'examples/order.proto', '--timeout', '2000', '--metrics', '127.0.0.1:0', '-q'])
    const m = await agent.waitFor(/serving metrics on http:\/\/(127\.0\.0\.1:\d+)\/metrics; capturing on/, 'stderr')
    prom = await startPrometheus([m[1]])

    const good = prepareCall({method: 'Order.makeOrder', schema, body: {kind: 'json', value: {price: 100, goods: 'apple'}}})
    const silent = prepareCall({method: 'Order.makeOrder', schema, body: {kind: 'json', value: {price: 5, goods: 'pear'}}})
    if (!good.ok || !silent.ok) throw new Error('cannot prepare the calls')
    const l = await runLoad({addr: server.address, prepared: good.value, repeat: GOOD_CALLS, concurrency: 4})
    if (!l.ok) throw l.error
    load = l.value
    const s2 = await runLoad({addr: server.address, prepared: silent.value, repeat: SILENT_CALLS, concurrency: 1, timeoutMs: 300})
    if (!s2.ok) throw s2.error
    for (let i = 0; i < UNKNOWN_CALLS; i++) expect(await unknownMethodCall(port, `9000000000000000000${i}`)).toBe(10_000_009)
  }, 120_000)

  afterAll(async () => {
    if (agent !== undefined && agent.child.exitCode === null) agent.child.kill('SIGINT')
    await agent?.exited
    await prom?.stop()
    await server?.close(50)
  }, 30_000)

  it('the client saw what the test meant to send', () => {
    expect([load.calls, load.ok]).toEqual([GOOD_CALLS, GOOD_CALLS])
    expect(load.latency?.count).toBe(GOOD_CALLS)
  })

  it('sum(tinypb_requests_total) is every request sent', async () => {
    const want = GOOD_CALLS + SILENT_CALLS + UNKNOWN_CALLS
    const r = await prom.until('sum(tinypb_requests_total)', (x) => x[0]?.value === want)
    expect(r.map((x) => x.value), prom.log()).toEqual([want])
  }, 60_000)

  it('unanswered by cause: the silent calls, blamed on the handler (the .proto has the method)', async () => {
    const r = await prom.until('sum by (cause) (tinypb_unanswered_total)', (x) => x.length > 0 && x[0].value === SILENT_CALLS)
    expect(r.map((x) => [x.metric.cause, x.value])).toEqual([['HANDLER_NO_DONE', SILENT_CALLS]])
  }, 60_000)

  it('responses by err_code: the good calls OK, the unknown method 10000009', async () => {
    const r = await prom.until('sum by (err_code, err_name, method) (tinypb_responses_total)', (x) => x.reduce((n, s) => n + s.value, 0) === GOOD_CALLS + UNKNOWN_CALLS)
    const rows = r.map((x) => [x.metric.method, x.metric.err_code, x.metric.err_name, x.value]).sort()
    expect(rows).toEqual([
      ['cancelOrder', '10000009', 'ERROR_METHOD_NOT_FOUND', UNKNOWN_CALLS],
      ['makeOrder', '0', 'OK', GOOD_CALLS],
    ])
  }, 60_000)

  it("histogram_quantile(0.99) is within the histogram's bucket error of the client's own p99", async () => {
    const q = 'histogram_quantile(0.99, sum by (le) (tinypb_request_duration_seconds_bucket{method="makeOrder"}))'
    await prom.until('sum(tinypb_request_duration_seconds_count{method="makeOrder"})', (x) => x[0]?.value === GOOD_CALLS)
    const [p99] = await prom.query(q)
    const clientP99 = load.latency!.p99 / 1000
    const {lo, hi} = bucketAround(clientP99)
    // Prometheus interpolates inside the bucket holding the 99th percentile: it is off by at most that bucket's width.
    expect(Math.abs(p99.value - clientP99), `prometheus ${p99.value} s, client ${clientP99} s, bucket ${lo}-${hi}`).toBeLessThanOrEqual(hi - lo)
    // On the wire a call cannot take longer than the client saw it take.
    expect(p99.value).toBeLessThanOrEqual(hi)
  }, 60_000)

  it('capture health and the agent itself are scraped too', async () => {
    const up = await prom.query('up{job="rpcdiag"}')
    expect(up.map((x) => x.value)).toEqual([1])
    const packets = await prom.query('sum(tinypb_capture_packets_total{backend="tcpdump"})')
    expect(packets[0].value).toBeGreaterThan(2 * GOOD_CALLS)
    const gaps = await prom.query('sum(tinypb_capture_reassembly_gaps_total)')
    expect(gaps.map((x) => x.value)).toEqual([0])
    const rss = await prom.query('process_resident_memory_bytes{job="rpcdiag"}')
    expect(rss[0].value).toBeGreaterThan(0)
  })
})
