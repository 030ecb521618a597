import {request} from 'node:http'

import {afterEach, describe, expect, it} from 'vitest'

import {parseMetricsAddress, SniffMetrics, startMetricsServer} from '../../src/metrics/index.js'
import {parseExposition, total} from './exposition.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

function get(url: string, method = 'GET'): Promise<{status: number; type: string | undefined; body: string}> {
  return new Promise((resolve, reject) => {
    const req = request(url, {method}, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({status: res.statusCode ?? 0, type: res.headers['content-type'], body}))
    })
    req.on('error', reject)
    req.end()
  })
}

async function serve(metrics = new SniffMetrics({processMetrics: true})) {
  const r = await startMetricsServer({address: {host: '127.0.0.1', port: 0}, text: () => metrics.text(), contentType: metrics.registry.contentType})
  if (!r.ok) throw r.error
  cleanups.push(() => r.value.close())
  return r.value
}

describe('the /metrics endpoint', () => {
  it('serves the exposition format with its content type, with the agent process metrics beside', async () => {
    const http = await serve()
    const res = await get(http.url)
    expect(res.status).toBe(200)
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/)
    const samples = parseExposition(res.body)
    expect(total(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(res.body).toMatch(/^# TYPE tinypb_request_duration_seconds histogram$/m)
    expect(res.body).toMatch(/^# TYPE tinypb_requests_total counter$/m)
    expect(http.scrapes).toBe(1)
  })

  it('answers other paths with 404 and other methods with 405', async () => {
    const http = await serve()
    expect((await get(http.url.replace('/metrics', '/nope'))).status).toBe(404)
    expect((await get(http.url, 'POST')).status).toBe(405)
    expect((await get(http.url.replace('/metrics', '/'))).status).toBe(200)
  })

  it('fails as a value, with one line, when the port is taken', async () => {
    const first = await serve()
    const m = new SniffMetrics()
    const r = await startMetricsServer({address: first.address, text: () => m.text(), contentType: m.registry.contentType})
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('METRICS_LISTEN_FAILED')
      expect(r.error.message).toBe(`cannot serve metrics on 127.0.0.1:${first.address.port}: the address is in use`)
    }
  })

  it('parses --metrics [HOST:]PORT, loopback by default', () => {
    expect(parseMetricsAddress('9464')).toEqual({ok: true, value: {host: '127.0.0.1', port: 9464}})
    expect(parseMetricsAddress('0.0.0.0:9464')).toEqual({ok: true, value: {host: '0.0.0.0', port: 9464}})
    expect(parseMetricsAddress('[::1]:0')).toEqual({ok: true, value: {host: '::1', port: 0}})
    const bad = parseMetricsAddress('host:99999')
    expect(bad.ok || bad.error.code).toBe('BAD_ADDR')
  })
})
