// Issue 13: a live sniff watching a server under attack held a partial frame
// per hostile connection (frames claiming up to --buffer-limit, slowloris) and
// grew to 3.2 GB. The bytes held across connections are bounded by
// --max-buffered: over it, the connection holding most gives up what it holds,
// and every byte is still either decoded or counted.
import {describe, expect, it} from 'vitest'

import {encodeFrame} from '../../decoders/tinypb/index.js'
import {type SniffEvent, SniffSession, type SniffSummary} from '../../src/sniff/index.js'
import {Conversation} from './reassembly/builders.js'

const MiB = 1024 * 1024
const METHOD = 'Order.makeOrder'

const call = (n: number, pb: string) => encodeFrame({msgId: String(n).padStart(20, '0'), methodName: METHOD, pbData: Buffer.from(pb, 'hex')})

/** The first bytes of a frame that claims pkLen: a consistent header, then nothing. */
function header(pkLen: number): Buffer {
  const f = encodeFrame({msgId: '66666666666666666666', methodName: METHOD, pbData: Buffer.alloc(0)})
  const h = Buffer.from(f.subarray(0, f.length - 5))
  h.writeInt32BE(pkLen, 1)
  return h
}

function expectAccounted(s: SniffSummary): void {
  const sum = s.decodedBytes + s.skippedBytes + s.gapDroppedBytes + s.retransmittedBytes + s.unattributedBytes
  expect({bytes: s.bytes, sum}).toEqual({bytes: s.bytes, sum: s.bytes})
}

describe('the bytes held across connections', () => {
  it('stay within --max-buffered with many connections each holding a big partial frame, and good calls are still paired', () => {
    const budget = 8 * MiB
    const events: SniffEvent[] = []
    const session = new SniffSession((e) => events.push(e), {serverPorts: [{from: 12_346, to: 12_346}], bufferLimit: 16 * MiB, maxBuffered: budget})
    const good = new Conversation({host: '127.0.0.1', port: 40_000})
    for (const s of good.handshake()) session.push(s)
    let peak = 0
    // 40 connections, each sending a header that claims 15 MiB and then 1 MiB of it: 40 MiB held without a bound.
    const hostile = Array.from({length: 40}, (_, i) => new Conversation({host: '127.0.0.1', port: 41_000 + i}, undefined, undefined, good.stamp))
    for (const [i, h] of hostile.entries()) {
      for (const s of h.handshake()) session.push(s)
      for (const s of h.send('client', Buffer.concat([header(15 * MiB), Buffer.alloc(MiB, 0x41)]), {mss: 65_483})) {
        session.push(s)
        peak = Math.max(peak, session.heldBytes)
      }
      // A good call between every hostile connection's bytes.
      for (const s of [...good.send('client', call(i + 1, '086412056170706c65')), ...good.send('server', call(i + 1, '1a083230323330353134'))]) session.push(s)
    }
    expect(peak).toBeLessThanOrEqual(budget)
    for (const h of hostile) session.push(h.rst('client'))
    const summary = session.finish()
    expect(summary.budgetHits).toBeGreaterThan(0)
    expect(summary.paired).toBe(40)
    expect(summary.unanswered).toBe(0)
    expect(events.some((e) => e.type === 'warning' && e.code === 'BUFFER_BUDGET')).toBe(true)
    expect(session.heldBytes).toBe(0)
    expectAccounted(summary)
  })

  it('gives up out-of-order data too, reported as gaps, and the accounting stays exact', () => {
    const budget = 2 * MiB
    const session = new SniffSession(() => {}, {serverPorts: [{from: 12_346, to: 12_346}], maxBuffered: budget})
    const convs = Array.from({length: 10}, (_, i) => new Conversation({host: '127.0.0.1', port: 42_000 + i}))
    let peak = 0
    for (const c of convs) {
      for (const s of c.handshake()) session.push(s)
      const segs = c.send('client', Buffer.concat(Array.from({length: 600}, (_, n) => call(n, '086412056170706c65'.repeat(50)))), {mss: 1448})
      // The first segment is lost: everything after it waits out of order.
      for (const s of segs.slice(1)) {
        session.push(s)
        peak = Math.max(peak, session.heldBytes)
      }
    }
    expect(peak).toBeLessThanOrEqual(budget)
    const summary = session.finish()
    expect(summary.budgetHits).toBeGreaterThan(0)
    expect(summary.gaps).toBeGreaterThan(0)
    expectAccounted(summary)
  })
})
