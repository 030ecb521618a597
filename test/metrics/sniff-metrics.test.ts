import {describe, expect, it} from 'vitest'

import {DURATION_BUCKETS, numberField, OTHER, SniffMetrics} from '../../src/metrics/index.js'
import {runSniff, type SniffEvent, type SniffSummary, teeOutputs} from '../../src/sniff/index.js'
import {Conversation} from '../sniff/reassembly/builders.js'
import {parseExposition, type Sample, series, total} from './exposition.js'
import {pcapOf, reply, request} from './traffic.js'

const SERVER = {host: '127.0.0.1', port: 12_345}
const client = (port: number) => ({host: '127.0.0.1', port})

/** Read a capture through runSniff with the metrics teed beside an event list, as `sniff --metrics` wires them. */
async function sniffFile(file: string, metrics = new SniffMetrics(), timeoutMs = 1000) {
  const events: SniffEvent[] = []
  const r = await runSniff({
    capture: {read: file},
    session: {...SniffMetrics.sessionOptions, timeoutMs},
    output: (ctx) => teeOutputs({event: (e) => events.push(e)}, metrics.output(ctx)),
  })
  if (!r.ok) throw r.error
  const outcome = await r.value.done
  return {events, summary: outcome.summary, samples: parseExposition(await metrics.text()), metrics}
}

const of = <T extends SniffEvent['type']>(events: SniffEvent[], type: T) => events.filter((e): e is Extract<SniffEvent, {type: T}> => e.type === type)

/** What the histogram must hold: for each bucket, the latencies at or under it. */
function expectHistogram(samples: Sample[], latenciesMs: number[], match: Record<string, string>) {
  const buckets = series(samples, 'tinypb_request_duration_seconds_bucket', match)
  expect(buckets.map((b) => b.labels.le)).toEqual([...DURATION_BUCKETS.map(String), '+Inf'])
  for (const b of buckets) {
    const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)
    expect(b.value, `bucket le=${b.labels.le}`).toBe(latenciesMs.filter((ms) => ms / 1000 <= le).length)
  }
  expect(total(samples, 'tinypb_request_duration_seconds_count', match)).toBe(latenciesMs.length)
  expect(total(samples, 'tinypb_request_duration_seconds_sum', match)).toBeCloseTo(latenciesMs.reduce((a, b) => a + b, 0) / 1000, 9)
}

describe('metrics of a real capture (rocket, 25 calls)', () => {
  it('counts every call, response and packet of the fixture, and buckets each latency', async () => {
    const {events, summary, samples} = await sniffFile('test/fixtures/pcap/rocket_fast_25calls_12346.pcap')
    const rocket = {server: '127.0.0.1:12346', service: 'Order', method: 'makeOrder'}
    expect(total(samples, 'tinypb_requests_total', rocket)).toBe(25)
    expect(total(samples, 'tinypb_requests_total')).toBe(summary.requests)
    expect(total(samples, 'tinypb_responses_total', {...rocket, err_code: '0', err_name: 'OK'})).toBe(25)
    expect(total(samples, 'tinypb_unanswered_total')).toBe(0)
    expectHistogram(samples, of(events, 'transaction').map((t) => t.latencyMs), rocket)
    expect(total(samples, 'tinypb_capture_packets_total', {backend: 'file'})).toBe(225)
    expect(total(samples, 'tinypb_connections_total')).toBe(25)
    expect(total(samples, 'tinypb_capture_reassembly_gaps_total')).toBe(0)
    // The SERVER_NO_FIN warnings of this capture (rocket never closes) are counted by code.
    expect(total(samples, 'tinypb_warnings_total', {code: 'SERVER_NO_FIN'})).toBe(summary.serverNoFin)
  })
})

describe('metrics of scripted traffic: each kind of call counted where it belongs', () => {
  const big = Buffer.alloc(200, 0x41) // a request of 128 bytes or more: rocket drops it
  const segs = []
  // 1: three answered calls, two of them large, then rocket re-sending reply 1.
  const c1 = new Conversation(client(40_001), SERVER)
  segs.push(...c1.handshake(), ...c1.send('client', request('1')), ...c1.send('server', reply('1')))
  segs.push(...c1.send('client', request('2', 'Order.makeOrder', big)), ...c1.send('server', reply('2')))
  segs.push(...c1.send('client', request('3', 'Order.makeOrder', big)), ...c1.send('server', reply('3')))
  segs.push(...c1.send('server', reply('1')), c1.fin('client'), c1.fin('server'))
  // 2: an unknown method, answered with 10000009 as tinyrpc does.
  const c2 = new Conversation(client(40_002), SERVER)
  segs.push(...c2.handshake(), ...c2.send('client', request('4', 'Order.cancelOrder')))
  segs.push(...c2.send('server', reply('4', 'Order.cancelOrder', 10_000_009, 'not found method_name:[cancelOrder]')), c2.fin('client'), c2.fin('server'))
  // 3: no reply; the client gives up with its FIN, the server answers that FIN.
  const c3 = new Conversation(client(40_003), SERVER)
  segs.push(...c3.handshake(), ...c3.send('client', request('5')))
  c3.wait(50)
  segs.push(c3.fin('client'), c3.fin('server'))
  // 4: a reply to no request seen.
  const c4 = new Conversation(client(40_004), SERVER)
  segs.push(...c4.handshake(), ...c4.send('server', reply('99', 'Order.makeOrder', 10_000_008, 'not found service_name')), c4.fin('client'), c4.fin('server'))
  // 5: a good call (the connection is TinyPB), a frame whose end byte is wrong, another good call.
  const c5 = new Conversation(client(40_005), SERVER)
  const broken = request('6')
  broken[broken.length - 1] = 0x04
  segs.push(...c5.handshake(), ...c5.send('client', request('5b')), ...c5.send('server', reply('5b')))
  segs.push(...c5.send('client', Buffer.concat([broken, request('7')])), ...c5.send('server', reply('7')), c5.fin('client'), c5.fin('server'))
  // 6: a method name no .proto could define.
  const c6 = new Conversation(client(40_006), SERVER)
  segs.push(...c6.handshake(), ...c6.send('client', request('8', 'Order.make\x01Order')), ...c6.send('server', reply('8', 'Order.make\x01Order')), c6.fin('client'), c6.fin('server'))
  const file = pcapOf(segs)
  const server = '127.0.0.1:12345'
  const makeOrder = {server, service: 'Order', method: 'makeOrder'}

  let run: Awaited<ReturnType<typeof sniffFile>>
  const get = async () => (run ??= await sniffFile(file))

  it('counts requests per method as the summary does; an implausible method name is "other"', async () => {
    const {samples, summary} = await get()
    expect(total(samples, 'tinypb_requests_total', makeOrder)).toBe(6)
    expect(total(samples, 'tinypb_requests_total', {server, service: 'Order', method: 'cancelOrder'})).toBe(1)
    expect(total(samples, 'tinypb_requests_total', {server, service: OTHER, method: OTHER})).toBe(1)
    expect(total(samples, 'tinypb_requests_total')).toBe(summary.requests)
    expect(total(samples, 'tinypb_metrics_label_capped', {label: 'method'})).toBe(1)
  })

  it('labels responses by err_code and name, orphans included, duplicates apart', async () => {
    const {samples, summary} = await get()
    expect(total(samples, 'tinypb_responses_total', {...makeOrder, err_code: '0', err_name: 'OK'})).toBe(5)
    expect(total(samples, 'tinypb_responses_total', {server, method: 'cancelOrder', err_code: '10000009', err_name: 'ERROR_METHOD_NOT_FOUND'})).toBe(1)
    expect(total(samples, 'tinypb_responses_total', {...makeOrder, err_code: '10000008'})).toBe(1)
    expect(total(samples, 'tinypb_orphan_responses_total', makeOrder)).toBe(1)
    expect(total(samples, 'tinypb_duplicate_responses_total', makeOrder)).toBe(1)
    // Every response frame is in exactly one of the two.
    expect(total(samples, 'tinypb_responses_total') + total(samples, 'tinypb_duplicate_responses_total')).toBe(summary.responses)
  })

  it('counts the unanswered request under its most likely cause', async () => {
    const {samples, events} = await get()
    const unanswered = of(events, 'unanswered')
    expect(unanswered).toHaveLength(1)
    expect(total(samples, 'tinypb_unanswered_total', {...makeOrder, cause: unanswered[0].causes[0].code})).toBe(1)
    expect(unanswered[0].causes[0].code).toBe('UNKNOWN_METHOD_OR_PAYLOAD')
  })

  it('counts every peer-safety finding, though the warning is reported once per method', async () => {
    const {samples, events} = await get()
    expect(of(events, 'warning').filter((w) => w.code === 'PEER_SAFETY' && w.finding?.code === 'FRAME_DROPPED_BY_ROCKET')).toHaveLength(1)
    expect(total(samples, 'tinypb_peer_safety_total', {...makeOrder, finding: 'FRAME_DROPPED_BY_ROCKET'})).toBe(2)
    expect(series(samples, 'tinypb_warnings_total', {code: 'PEER_SAFETY'})).toEqual([])
  })

  it('counts malformed frames by decoder code, as many as the summary', async () => {
    const {samples, events, summary} = await get()
    const malformed = of(events, 'malformed').filter((m) => m.code !== 'BAD_START')
    expect(malformed.length).toBeGreaterThan(0)
    expect(total(samples, 'tinypb_malformed_frames_total', {server})).toBe(summary.malformedFrames)
    for (const m of malformed) expect(total(samples, 'tinypb_malformed_frames_total', {server, code: m.code})).toBeGreaterThan(0)
  })

  it('puts each answered latency in the histogram of its method', async () => {
    const {samples, events} = await get()
    const lat = of(events, 'transaction')
      .filter((t) => t.request.method === 'Order.makeOrder')
      .map((t) => t.latencyMs)
    expect(lat).toHaveLength(5)
    expectHistogram(samples, lat, makeOrder)
  })
})

describe('capture health', () => {
  it("exports what the source knows (a pcapng's drop count) and leaves out what it cannot tell", async () => {
    const metrics = new SniffMetrics()
    const r = await runSniff({capture: {read: 'test/fixtures/pcap/dumpcap_lo.pcapng'}, session: {...SniffMetrics.sessionOptions}, output: (ctx) => metrics.output(ctx)})
    if (!r.ok) throw r.error
    const {stats} = await r.value.done
    const samples = parseExposition(await metrics.text())
    expect(stats.kernelDrops).toBeDefined()
    expect(series(samples, 'tinypb_capture_kernel_drops_total')).toEqual([{name: 'tinypb_capture_kernel_drops_total', labels: {backend: 'file'}, value: stats.kernelDrops}])
    expect(total(samples, 'tinypb_capture_packets_total', {backend: 'file'})).toBe(stats.packets)
    // Every source counts the packets the snap length cut (none here).
    expect(series(samples, 'tinypb_capture_truncated_packets_total')).toEqual([{name: 'tinypb_capture_truncated_packets_total', labels: {backend: 'file'}, value: stats.truncated}])
    expect(series(samples, 'tinypb_capture_info')[0].labels).toMatchObject({backend: 'file', timestamp_source: 'file'})
  })

  it('reads a count a source adds later by its field name', () => {
    expect(numberField({truncated: 3}, 'truncated', 'truncatedPackets')).toBe(3)
    expect(numberField({truncatedPackets: 4}, 'truncated', 'truncatedPackets')).toBe(4)
    expect(numberField({truncated: 'x'}, 'truncated')).toBeUndefined()
  })
})

describe('label caps', () => {
  it('gives the first N methods their own series and the rest "other", and says the cap was reached', async () => {
    const segs = []
    for (let i = 0; i < 5; i++) {
      const c = new Conversation(client(41_000 + i), SERVER)
      segs.push(...c.handshake(), ...c.send('client', request(String(i), `Svc.m${i}`)), ...c.send('server', reply(String(i), `Svc.m${i}`)), c.fin('client'), c.fin('server'))
    }
    const {samples} = await sniffFile(pcapOf(segs), new SniffMetrics({maxMethods: 2}))
    const methods = series(samples, 'tinypb_requests_total').map((s) => `${s.labels.service}.${s.labels.method}=${s.value}`)
    expect(methods.sort()).toEqual(['Svc.m0=1', 'Svc.m1=1', 'other.other=3'])
    expect(total(samples, 'tinypb_metrics_label_values', {label: 'method'})).toBe(2)
    expect(total(samples, 'tinypb_metrics_label_capped', {label: 'method'})).toBe(1)
    expect(total(samples, 'tinypb_metrics_label_capped', {label: 'server'})).toBe(0)
  })
})

describe('rules written ahead of their events', () => {
  it('counts an `uncertain` event by reason once the session emits one', async () => {
    const metrics = new SniffMetrics()
    const conn = {id: 1, client: '127.0.0.1:5', server: '127.0.0.1:12345', clientAddr: client(5), serverAddr: SERVER, serverBy: 'port' as const, midstream: false}
    // Not a SniffEvent on this branch yet: the sniff-trust work adds it.
    const uncertain = {type: 'uncertain', t: 1, conn, reason: 'PORT_REUSED', request: {method: 'Order.makeOrder'}}
    metrics.event(uncertain as unknown as SniffEvent)
    metrics.event(uncertain as unknown as SniffEvent)
    const samples = parseExposition(await metrics.text())
    expect(total(samples, 'tinypb_uncertain_total', {server: '127.0.0.1:12345', service: 'Order', method: 'makeOrder', reason: 'PORT_REUSED'})).toBe(2)
  })
})

describe('teeOutputs and withoutFrames', () => {
  it('hands every event to each output; the printer sees frames only when asked', async () => {
    const {withoutFrames} = await import('../../src/sniff/index.js')
    const all: string[] = []
    const printed: string[] = []
    const events: SniffEvent[] = [{type: 'gap', t: 0, conn: undefined as never, from: 'client', missing: 1, dropped: 0, cause: 'lost'}]
    const frame = {type: 'frame', t: 0, role: 'request'} as unknown as SniffEvent
    const out = teeOutputs({event: (e) => all.push(e.type)}, withoutFrames({event: (e) => printed.push(e.type)}))
    for (const e of [...events, frame]) out.event(e)
    expect(all).toEqual(['gap', 'frame'])
    expect(printed).toEqual(['gap'])
  })
})

export type {SniffSummary}

describe("what sniff cannot tell, and rocket's stale sockets", () => {
  it('counts uncertain calls by reason (truncated_replies.pcap: three replies cut by the snap length)', async () => {
    const {samples, summary} = await sniffFile('test/fixtures/pcap/truncated_replies.pcap', new SniffMetrics(), 5000)
    expect(summary.uncertain).toBe(3)
    expect(total(samples, 'tinypb_uncertain_total', {reason: 'truncated'})).toBe(3)
    expect(total(samples, 'tinypb_unanswered_total', {})).toBe(0)
  })

  it('counts the challenge ACKs of stale server sockets (close_wait_reuse.pcap)', async () => {
    const {samples, summary} = await sniffFile('test/fixtures/pcap/close_wait_reuse.pcap', new SniffMetrics(), 5000)
    expect(summary.staleSockets).toBeGreaterThan(0)
    expect(total(samples, 'tinypb_stale_server_sockets_total', {})).toBe(summary.staleSockets)
  })
})
