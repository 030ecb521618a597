import {queryObjects} from 'node:v8'

import {describe, expect, it} from 'vitest'

import {ConnTransactions, SniffSession} from '../../src/sniff/index.js'
import {FlowTable, HalfStream, TcpFlow} from '../../src/sniff/reassembly/index.js'
import {MAKE_ORDER_REPLY, MAKE_ORDER_REQUEST} from '../fixtures/tinypb-frames.js'
import {Conversation} from './reassembly/builders.js'

// What a capture of many short connections (rocket's client: a connection per
// call) leaves in memory once they are closed.

describe('closed connections are let go', () => {
  it('keeps no answered call alive, nor its connection, once the connection is closed', () => {
    const session = new SniffSession(() => {}, {})
    const calls = 600
    for (let i = 0; i < calls; i++) {
      // A new client port per call, one ms apart: handshake, request, reply, FIN both ways.
      const conv = new Conversation({host: '127.0.0.1', port: 32_768 + i}, undefined, undefined, {sec: 1_684_032_502, nsec: i * 1_000_000})
      for (const s of [...conv.handshake(), ...conv.send('client', MAKE_ORDER_REQUEST), ...conv.send('server', MAKE_ORDER_REPLY), conv.fin('client'), conv.fin('server')]) session.push(s)
    }
    // After a full GC (queryObjects collects first). The requests, answered, sat in the
    // timeout queue until a thousand had piled up, each holding its closed connection's
    // state (600 alive here, promoted to the old generation under load).
    const alive = queryObjects(ConnTransactions, {format: 'count'}) as number
    const summary = session.finish()
    expect(summary.requests).toBe(calls)
    expect(summary.paired).toBe(calls)
    expect(alive).toBeLessThan(80)
  })
})

describe('FlowTable', () => {
  const flow = (id: number, clientPort: number, host = '10.0.0.2') => {
    const halves = [new HalfStream(0, {} as never), new HalfStream(1, {} as never)] as const
    return new TcpFlow(id, {host, port: clientPort}, {host: '10.0.0.1', port: 12_345}, 0, halves as never)
  }

  it('finds flows by four-tuple either way round, as port pairs come and go', () => {
    const table = new FlowTable()
    const a = flow(1, 40_000)
    const b = flow(2, 40_000, '10.0.0.3')
    table.add(a)
    table.add(b)
    expect(table.find('10.0.0.2', 40_000, '10.0.0.1', 12_345)).toBe(a)
    expect(table.find('10.0.0.1', 12_345, '10.0.0.3', 40_000)).toBe(b)
    table.delete(a)
    table.delete(a)
    expect(table.size).toBe(1)
    expect(table.find('10.0.0.2', 40_000, '10.0.0.1', 12_345)).toBeUndefined()
    table.delete(b)
    expect(table.find('10.0.0.1', 12_345, '10.0.0.3', 40_000)).toBeUndefined()
    const c = flow(3, 40_000)
    table.add(c)
    expect(table.find('10.0.0.1', 12_345, '10.0.0.2', 40_000)).toBe(c)
    expect(table.all()).toEqual([c])
  })

  it('reuses the buckets of ports that come back, and drops empty ones in one pass once they are as many as ports', () => {
    const table = new FlowTable()
    const kept = flow(0, 1000)
    table.add(kept)
    let most = 0
    // Clients cycling through Linux's ephemeral range: buckets are reused, none pruned.
    for (let i = 0; i < 100_000; i++) {
      const f = flow(i + 1, 32_768 + (i % 28_232))
      table.add(f)
      table.delete(f)
      most = Math.max(most, table.portPairs)
    }
    expect(most).toBe(28_233)
    // Every port pair once (two server ports): empty buckets pile up to 65,536, then go in one pass.
    for (let i = 0; i < 131_072; i++) {
      const f = new TcpFlow(i, {host: '10.0.0.2', port: i % 65_536}, {host: '10.0.0.1', port: i < 65_536 ? 1 : 2}, 0, [] as never)
      table.add(f)
      table.delete(f)
      most = Math.max(most, table.portPairs)
    }
    expect(most).toBeLessThanOrEqual(65_536 + 28_233 + 1)
    expect(table.portPairs).toBeLessThan(65_536)
    expect(table.size).toBe(1)
    expect(table.find('10.0.0.1', 12_345, '10.0.0.2', 1000)).toBe(kept)
  })
})
