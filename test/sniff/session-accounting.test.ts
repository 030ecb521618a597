// Every captured payload byte is counted once: decoded, skipped, in a frame a
// gap cut, retransmitted, or on no connection; and every request and reply
// seen ends up in exactly one of the summary's outcomes.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import type {TcpSegment} from '../../decoders/packet/segment.js'
import {encodeFrame} from '../../decoders/tinypb/index.js'
import {type SniffEvent, type SniffSessionOptions, type SniffSummary} from '../../src/sniff/index.js'
import {Conversation, segment} from './reassembly/builders.js'
import {runSession as sniff} from './run-session.js'


/** The summary's byte and call accounting adds up. */
function expectAccounted(summary: SniffSummary, events: SniffEvent[], label = ''): void {
  const {bytes, decodedBytes, skippedBytes, gapDroppedBytes, retransmittedBytes, unattributedBytes} = summary
  expect({bytes, sum: decodedBytes + skippedBytes + gapDroppedBytes + retransmittedBytes + unattributedBytes}, label).toEqual({
    bytes,
    sum: bytes,
  })
  const uncertain = events.filter((e) => e.type === 'uncertain')
  expect(uncertain.length, label).toBe(summary.uncertain)
  expect(summary.requests, label).toBe(summary.paired + summary.unanswered + uncertain.filter((u) => u.request !== undefined).length)
  expect(summary.responses, label).toBe(
    summary.paired + summary.duplicateResponses + summary.orphanResponses + uncertain.filter((u) => u.response !== undefined).length,
  )
  const methods = Object.values(summary.methods)
  expect(methods.reduce((n, m) => n + m.count, 0), label).toBe(summary.requests)
  for (const m of methods) expect(m.count, label).toBe(m.answered + m.unanswered + m.uncertain)
}

const req = (n: number) => encodeFrame({msgId: String(n).padStart(20, '0'), methodName: 'Order.makeOrder', pbData: Buffer.from('086412056170706c65', 'hex')})
const rep = (n: number) => encodeFrame({msgId: String(n).padStart(20, '0'), methodName: 'Order.makeOrder', pbData: Buffer.from('1a083230323330353134', 'hex')})
const badEnd = (n: number) => {
  const f = Buffer.from(req(n))
  f[f.length - 1] = 0
  return f
}

/** Calls on one connection, the client's stream with garbage and a malformed frame in it. */
function streams(calls: number): {client: Buffer; server: Buffer} {
  const client: Buffer[] = []
  const server: Buffer[] = []
  for (let i = 1; i <= calls; i++) {
    client.push(req(i))
    if (i === 2) client.push(Buffer.from('garbage\x02\x00'), badEnd(99))
    server.push(rep(i))
  }
  return {client: Buffer.concat(client), server: Buffer.concat(server)}
}

describe('byte accounting on scripted captures', () => {
  it('adds up with the client stream split at every byte, whole or with the segment after the cut lost', () => {
    const {client, server} = streams(3)
    for (let cut = 1; cut < client.length; cut++) {
      for (const lose of [false, true]) {
        const conv = new Conversation()
        const hs = conv.handshake()
        const pieces = conv.send('client', client, {cuts: [cut, Math.min(client.length - 1, cut + 40)]})
        const kept = lose ? pieces.filter((_, i) => i !== 1) : pieces
        const segs = [...hs, ...kept, conv.ack('server'), ...conv.send('server', server, {cuts: [cut % server.length]}), conv.fin('client'), conv.fin('server')]
        const {summary, events} = sniff(segs)
        expectAccounted(summary, events, `cut ${cut}${lose ? ', lost' : ''}`)
        if (!lose) expect(summary.decodedBytes, `cut ${cut}`).toBe(client.length - 9 - 70 + server.length)
      }
    }
  })

  it('adds up for a capture begun mid-connection, the string protocol, and data after a RST', () => {
    const {client, server} = streams(3)
    // Mid-stream: the first 30 bytes of each direction are not in the capture.
    const mid = new Conversation()
    mid.handshake()
    const a = mid.send('client', client, {cuts: [30]}).slice(1)
    const b = mid.send('server', server, {cuts: [30]}).slice(1)
    // Text, decided as the string protocol.
    const text = new Conversation({host: '127.0.0.1', port: 50_400})
    const t = [...text.handshake(), ...text.send('client', Buffer.from('hello rocket')), ...text.send('server', Buffer.from('hello rocket'))]
    // A RST, then a straggler of the reset connection.
    const reset = new Conversation({host: '127.0.0.1', port: 50_500})
    const r = [...reset.handshake(), ...reset.send('client', req(7), {cuts: [20]}), reset.rst('server')]
    const straggler = segment({...r[4], tsNsec: r[4].tsNsec + 1000})
    const {summary, events} = sniff([...a, ...b, ...t, ...r, straggler])
    expectAccounted(summary, events)
    expect(summary.skippedBytes).toBeGreaterThan(0)
    expect(summary.unattributedBytes).toBe(straggler.payload.length)
    expect(summary.chunks).toBe(2)
  })

  it('adds up with the held bytes past --buffer-limit given up on', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const frames = Buffer.concat(Array.from({length: 8}, (_, i) => req(i)))
    const segs = conv.send('client', frames, {mss: 33})
    const {summary, events} = sniff([...hs, ...segs.slice(1)], {bufferLimit: 100})
    expect(summary.limitHits).toBeGreaterThan(0)
    expectAccounted(summary, events)
  })
})

/** What the capture does to one segment. */
type Fate = 'keep' | 'drop' | 'twice' | 'twice-different' | 'truncate' | 'late'

describe('byte accounting whatever the capture lost, repeated, cut or reordered (fast-check)', () => {
  it('adds up, and every call lands in one outcome', () => {
    const fate = fc.constantFrom<Fate>('keep', 'keep', 'keep', 'drop', 'twice', 'twice-different', 'truncate', 'late')
    fc.assert(
      fc.property(
        fc.integer({min: 1, max: 5}),
        fc.integer({min: 1, max: 80}),
        fc.array(fate, {minLength: 40, maxLength: 40}),
        fc.option(fc.integer({min: 0, max: 39}), {nil: undefined}),
        fc.constantFrom<SniffSessionOptions['protocol']>('auto', 'tinypb'),
        (calls, mss, fates, rstAt, protocol) => {
          const {client, server} = streams(calls)
          const conv = new Conversation()
          const segs: TcpSegment[] = [...conv.handshake()]
          // Request and reply segments interleaved, each direction cut at mss.
          const c = conv.send('client', client, {mss})
          const s = conv.send('server', server, {mss})
          for (let i = 0; i < Math.max(c.length, s.length); i++) segs.push(...(c[i] ? [c[i]] : []), ...(s[i] ? [s[i]] : []))
          segs.push(conv.fin('client'), conv.fin('server'))
          const out: TcpSegment[] = []
          let late: TcpSegment | undefined
          for (const [i, seg] of segs.entries()) {
            const f = i < 3 ? 'keep' : fates[i % fates.length]
            if (rstAt === i) out.push(conv.rst('server'))
            if (f === 'drop') continue
            if (f === 'late') {
              if (late !== undefined) out.push(late)
              late = seg
              continue
            }
            if (f === 'truncate' && seg.payload.length > 1) {
              out.push({...seg, payload: seg.payload.subarray(0, seg.payload.length >> 1), wireLength: seg.payload.length})
              continue
            }
            out.push(seg)
            if (f === 'twice') out.push(seg)
            if (f === 'twice-different' && seg.payload.length > 0) {
              const other = Buffer.from(seg.payload)
              other[other.length >> 1] ^= 0x5a
              out.push({...seg, payload: other})
            }
          }
          if (late !== undefined) out.push(late)
          const {summary, events} = sniff(out, {protocol})
          expectAccounted(summary, events)
        },
      ),
      {numRuns: 400},
    )
  })
})
