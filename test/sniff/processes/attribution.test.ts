// Naming the process behind a captured flow from this machine's real socket
// table: a wildcard listener names the server only for traffic to an address
// of this machine.
import {once} from 'node:events'
import {connect, createServer, type Server} from 'node:net'
import {networkInterfaces} from 'node:os'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ProcessAttribution} from '../../../src/sniff/index.js'
import {collectSockets, SocketIndex} from '../../../src/sockets/index.js'
import {connRef} from '../conn-ref.js'

let server: Server
let port: number
let index: SocketIndex

beforeAll(async () => {
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve))
  port = (server.address() as {port: number}).port
  const t = await collectSockets({filter: {protocols: new Set(['tcp']), ports: [{from: port, to: port}]}})
  index = new SocketIndex([...t.sockets, ...t.listeners])
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const ref = (client: string, server: string) => connRef(client, server)

describe('the listener behind a flow', () => {
  it('a 0.0.0.0 listener receives on loopback and on every interface address of this machine', () => {
    expect(index.listenerFor({host: '127.0.0.1', port})).toMatchObject({pid: process.pid, state: 'LISTEN'})
    // All of 127.0.0.0/8 is this machine.
    expect(index.listenerFor({host: '127.1.2.3', port})).toMatchObject({pid: process.pid})
    const own = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && a.family === 'IPv4')
    expect(own.length).toBeGreaterThan(0)
    for (const a of own) expect(index.listenerFor({host: a!.address, port}), a!.address).toMatchObject({pid: process.pid})
  })

  it('does not name a local process for a remote server that happens to use the same port', () => {
    // 192.0.2.0/24 is TEST-NET-1: never an address of this machine.
    expect(index.listenerFor({host: '192.0.2.7', port})).toBeUndefined()
    expect(index.listenerFor({host: '2001:db8::7', port})).toBeUndefined()
  })

  it('leaves the remote server of a captured flow unnamed', async () => {
    const attribution = new ProcessAttribution(async () => index, {minIntervalMs: 0})
    const remote = ref('127.0.0.1:50000', `192.0.2.7:${port}`)
    const local = ref('127.0.0.1:50001', `127.0.0.1:${port}`)
    attribution.want(remote)
    attribution.want(local)
    await attribution.idle()
    expect(remote.serverProcess).toBeUndefined()
    expect(local.serverProcess).toMatchObject({pid: process.pid})
  })
})

describe('the socket table worker', () => {
  it('a worker that exits fails the lookups waiting on it, and the next lookup starts a new one that names the server', async () => {
    const {socketTableAttribution} = await import('../../../src/sniff/index.js')
    const {Worker} = await import('node:worker_threads')
    let started = 0
    // The first worker dies before it answers (as one out of memory would); later ones are the real table worker.
    const attribution = socketTableAttribution([{from: port, to: port}], {startWorker: () => (started++ === 0 ? new Worker('process.exit(3)', {eval: true}) : undefined)})
    try {
      const first = ref('127.0.0.1:40000', `127.0.0.1:${port}`)
      attribution.want(first)
      // Bounded: idle() resolves once the lookup is over, whatever its outcome; before the fix it never did.
      await Promise.race([attribution.idle(), new Promise((_, reject) => setTimeout(() => reject(new Error('the lookup never ended')), 10_000))])
      expect(attribution.settled(first)).toBe(true)
      expect(first.serverProcess).toBeUndefined()
      const second = ref('127.0.0.1:40001', `127.0.0.1:${port}`)
      attribution.want(second)
      await Promise.race([attribution.idle(), new Promise((_, reject) => setTimeout(() => reject(new Error('the second lookup never ended')), 20_000))])
      expect(started).toBe(2)
      expect(second.serverProcess).toMatchObject({pid: process.pid})
    } finally {
      await attribution.close()
    }
  }, 40_000)
})

describe('what the socket table worker sends', () => {
  it('only sockets a process holds: a port under short connections keeps hundreds in TIME-WAIT, which name nothing', async () => {
    const {Worker} = await import('node:worker_threads')
    const srv = createServer((s) => s.on('error', () => {}))
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
    const p = (srv.address() as {port: number}).port
    // 50 connections the client closes first: their client ends wait in TIME-WAIT, owned by no one.
    for (let i = 0; i < 50; i++) {
      const c = connect(p, '127.0.0.1')
      await once(c, 'connect')
      c.end()
      await once(c, 'close')
    }
    const live = connect(p, '127.0.0.1')
    await once(live, 'connect')
    const waiting = await collectSockets({filter: {protocols: new Set(['tcp']), ports: [{from: p, to: p}]}})
    expect(waiting.sockets.filter((r) => r.state === 'TIME-WAIT').length, 'TIME-WAIT sockets to leave out').toBeGreaterThanOrEqual(50)
    // The real table worker, as the sources start it (bin/dev-worker.mjs registers tsx first).
    const w = new Worker(new URL('../../../bin/dev-worker.mjs', import.meta.url), {workerData: {module: new URL('../../../src/sniff/processes/table-worker.ts', import.meta.url).href}})
    try {
      w.postMessage({id: 1, ports: [{from: p, to: p}]})
      const [m] = (await Promise.race([once(w, 'message'), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), 20_000))])) as [{rows: Array<{pid: number | null; state: string; localPort: number}>}]
      expect(m.rows.filter((r) => r.pid === null)).toEqual([])
      // The live connection's two ends and the listener are all there, owned by this process.
      expect(m.rows.map((r) => `${r.state} ${r.localPort === p ? 'server' : 'client'}`).sort()).toEqual(['ESTABLISHED client', 'ESTABLISHED server', 'LISTEN server'])
      expect(m.rows.every((r) => r.pid === process.pid)).toBe(true)
    } finally {
      live.destroy()
      await w.terminate()
      await new Promise<void>((resolve) => srv.close(() => resolve()))
    }
  }, 40_000)
})
