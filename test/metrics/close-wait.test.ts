import {createServer, type Server, type Socket, connect} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {CloseWaitCounts, SniffMetrics} from '../../src/metrics/index.js'
import {ManualClock} from '../../src/net/index.js'
import {parseExposition, total} from './exposition.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

/** A server like rocket: it never closes a connection, so each client's FIN leaves its socket in CLOSE_WAIT. */
async function neverClosingServer(): Promise<{server: Server; port: number; held: Socket[]}> {
  const held: Socket[] = []
  const server = createServer({allowHalfOpen: true}, (s) => {
    held.push(s)
    s.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => {
    for (const s of held) s.destroy()
    return new Promise((r) => server.close(r))
  })
  return {server, port: (server.address() as {port: number}).port, held}
}

/** n clients connect and half-close (FIN); resolves once the server has seen every FIN. */
async function halfClose(port: number, held: Socket[], n: number): Promise<void> {
  const ended: Promise<void>[] = []
  for (let i = 0; i < n; i++) {
    const c = connect(port, '127.0.0.1')
    c.on('error', () => undefined)
    cleanups.push(() => c.destroy())
    await new Promise<void>((r) => c.once('connect', () => r()))
    c.end()
  }
  for (let i = 0; i < 200 && held.length < n; i++) await new Promise((r) => setTimeout(r, 10))
  for (const s of held) ended.push(s.readableEnded ? Promise.resolve() : new Promise((r) => s.once('end', () => r())))
  for (const s of held) s.resume()
  await Promise.all(ended)
}

describe('CLOSE_WAIT from the socket table', () => {
  it('counts the server sockets the clients closed and the server did not, per server address', async () => {
    const {port, held} = await neverClosingServer()
    await halfClose(port, held, 3)
    const counts = await new CloseWaitCounts({ports: [{from: port, to: port}]}).counts()
    expect(counts.get(`127.0.0.1:${port}`)).toBe(3)
  })

  it('without --port, counts CLOSE_WAIT on the ports a listener has', async () => {
    const {port, held} = await neverClosingServer()
    await halfClose(port, held, 2)
    const counts = await new CloseWaitCounts().counts()
    expect(counts.get(`127.0.0.1:${port}`)).toBe(2)
  })

  it('reads the table at most once per interval, and keeps a server at 0 once its sockets are gone', async () => {
    const {port, held} = await neverClosingServer()
    await halfClose(port, held, 2)
    const clock = new ManualClock()
    const cw = new CloseWaitCounts({ports: [{from: port, to: port}], intervalMs: 5000, clock})
    expect((await cw.counts()).get(`127.0.0.1:${port}`)).toBe(2)
    for (const s of held) s.destroy()
    clock.advance(4999)
    expect((await cw.counts()).get(`127.0.0.1:${port}`)).toBe(2)
    expect(cw.reads).toBe(1)
    clock.advance(1)
    // destroy() closes: the sockets leave CLOSE_WAIT (LAST-ACK, then gone).
    expect((await cw.counts()).get(`127.0.0.1:${port}`)).toBe(0)
    expect(cw.reads).toBe(2)
  })

  it('answers a scrape with the last counts and reads the table behind it once they are stale', async () => {
    const {port, held} = await neverClosingServer()
    await halfClose(port, held, 2)
    const clock = new ManualClock()
    const cw = new CloseWaitCounts({ports: [{from: port, to: port}], intervalMs: 5000, clock})
    expect((await cw.current()).get(`127.0.0.1:${port}`)).toBe(2)
    for (const s of held) s.destroy()
    clock.advance(5000)
    // Stale: this scrape still gets the last counts; the read it started brings the new ones.
    expect((await cw.current()).get(`127.0.0.1:${port}`)).toBe(2)
    expect((await cw.counts()).get(`127.0.0.1:${port}`)).toBe(0)
    expect(cw.reads).toBe(2)
  })

  it('is exported as tinypb_server_close_wait_connections{server} on a scrape', async () => {
    const {port, held} = await neverClosingServer()
    await halfClose(port, held, 4)
    const metrics = new SniffMetrics({closeWait: {ports: [{from: port, to: port}]}})
    const samples = parseExposition(await metrics.text())
    expect(total(samples, 'tinypb_server_close_wait_connections', {server: `127.0.0.1:${port}`})).toBe(4)
  })
})
