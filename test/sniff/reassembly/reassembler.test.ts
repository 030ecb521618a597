import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import type {TcpSegment} from '../../../decoders/packet/segment.js'
import {type CloseReason, type Dir, type GapCause, type Mismatch, Reassembler, type ReassemblySink, type TcpFlow} from '../../../src/sniff/reassembly/index.js'
import {Conversation, segment} from './builders.js'

/** What one connection delivered: each direction's bytes with gaps marked, and how it ended. */
interface Seen {
  flow: TcpFlow
  streams: [string[], string[]]
  ends: string[]
  closed?: CloseReason
  limits: number
  gapCauses: GapCause[]
  conflicts: Array<{dir: Dir; m: Mismatch; offset: number}>
  stale: boolean[]
}

class Recorder implements ReassemblySink<unknown> {
  readonly flows: Seen[] = []
  private byFlow = new Map<TcpFlow, Seen>()

  open(flow: TcpFlow): void {
    const s: Seen = {flow, streams: [[], []], ends: [], limits: 0, gapCauses: [], conflicts: [], stale: []}
    this.flows.push(s)
    this.byFlow.set(flow, s)
  }

  data(flow: TcpFlow, dir: Dir, bytes: Uint8Array): void {
    // Copy at once: the view is only valid during the call.
    this.byFlow.get(flow)!.streams[dir].push(Buffer.from(bytes).toString('latin1'))
  }

  gap(flow: TcpFlow, dir: Dir, missing: number, _t: number, cause: GapCause): void {
    this.byFlow.get(flow)!.streams[dir].push(`<gap ${missing}>`)
    this.byFlow.get(flow)!.gapCauses.push(cause)
  }

  conflict(flow: TcpFlow, dir: Dir, m: Mismatch, offset: number): void {
    this.byFlow.get(flow)!.conflicts.push({dir, m, offset})
  }

  stale(flow: TcpFlow, _t: number, retried: boolean): void {
    this.byFlow.get(flow)!.stale.push(retried)
  }

  end(flow: TcpFlow, dir: Dir, how: 'fin' | 'rst'): void {
    this.byFlow.get(flow)!.ends.push(`${dir} ${how}`)
  }

  limit(flow: TcpFlow): void {
    this.byFlow.get(flow)!.limits++
  }

  close(flow: TcpFlow, reason: CloseReason): void {
    this.byFlow.get(flow)!.closed = reason
  }

  text(i: number, dir: Dir): string {
    return this.flows[i].streams[dir].join('')
  }
}

function run(segments: Iterable<TcpSegment>, opts: ConstructorParameters<typeof Reassembler>[1] = {}): {rec: Recorder; r: Reassembler} {
  const rec = new Recorder()
  const r = new Reassembler(rec, opts)
  for (const s of segments) r.push(s)
  r.finish()
  return {rec, r}
}

const REQUEST = Buffer.from('request: the quick brown fox jumps over the lazy dog 0123456789', 'latin1')
const REPLY = Buffer.from('reply: pack my box with five dozen liquor jugs', 'latin1')

/** A whole connection: handshake, request in `cuts` pieces, reply, both FINs. */
function exchange(conv: Conversation, cuts: number[] = []): TcpSegment[] {
  return [
    ...conv.handshake(),
    ...conv.send('client', REQUEST, {cuts}),
    conv.ack('server'),
    ...conv.send('server', REPLY),
    conv.fin('client'),
    conv.fin('server'),
    conv.ack('client'),
  ]
}

describe('in-order streams', () => {
  it('delivers both directions and closes on the two FINs', () => {
    const {rec, r} = run(exchange(new Conversation()))
    expect(rec.flows).toHaveLength(1)
    expect(rec.text(0, 0)).toBe(REQUEST.toString('latin1'))
    expect(rec.text(0, 1)).toBe(REPLY.toString('latin1'))
    expect(rec.flows[0].ends).toEqual(['0 fin', '1 fin'])
    expect(rec.flows[0].closed).toBe('fin')
    expect(rec.flows[0].flow.server).toBe('b')
    expect(rec.flows[0].flow.serverBy).toBe('syn')
    expect(rec.flows[0].flow.midstream).toBe(false)
    // The final ACK after both FINs does not start a new connection.
    expect(r.stats.connections).toBe(1)
  })

  it('gives the same bytes however the request is split, at every byte', () => {
    for (let cut = 1; cut < REQUEST.length; cut++) {
      const {rec} = run(exchange(new Conversation(), [cut]))
      expect(rec.text(0, 0)).toBe(REQUEST.toString('latin1'))
    }
  })

  it('gives the same bytes with one byte per segment', () => {
    const cuts = Array.from({length: REQUEST.length - 1}, (_, i) => i + 1)
    const {rec} = run(exchange(new Conversation(), cuts))
    expect(rec.text(0, 0)).toBe(REQUEST.toString('latin1'))
    expect(rec.flows[0].streams[0]).toHaveLength(REQUEST.length)
  })

  it('follows the sequence number across the 32-bit wrap', () => {
    for (let isn = 2 ** 32 - 40; isn < 2 ** 32; isn += 3) {
      const conv = new Conversation(undefined, undefined, {client: isn, server: 2 ** 32 - 1})
      const {rec} = run(exchange(conv, [5, 17, 30, 44]))
      expect(rec.text(0, 0)).toBe(REQUEST.toString('latin1'))
      expect(rec.text(0, 1)).toBe(REPLY.toString('latin1'))
      expect(rec.flows[0].closed).toBe('fin')
    }
  })
})

describe('reordering, duplicates, overlaps', () => {
  it('puts any permutation of the data segments back in order (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({min: 1, max: REQUEST.length - 1}), {maxLength: 12}),
        fc.integer({min: 0, max: 2 ** 32 - 1}),
        fc.func(fc.integer()),
        (cuts, isn, key) => {
          const conv = new Conversation(undefined, undefined, {client: isn, server: 7})
          const hs = conv.handshake()
          const data = conv.send('client', REQUEST, {cuts})
          const shuffled = data.map((s, i) => ({s, k: key(i)})).sort((x, y) => x.k - y.k).map((x) => x.s)
          const {rec} = run([...hs, ...shuffled, conv.fin('client')])
          expect(rec.text(0, 0)).toBe(REQUEST.toString('latin1'))
          expect(rec.flows[0].ends).toEqual(['0 fin'])
        },
      ),
      {numRuns: 300},
    )
  })

  it('drops retransmits and trims overlapping segments, and counts every byte once (fast-check)', () => {
    fc.assert(
      fc.property(
        // Random windows [start, end) of the request, sent in any order, that together cover it.
        fc.array(fc.tuple(fc.nat(REQUEST.length - 1), fc.integer({min: 1, max: 20})), {maxLength: 20}),
        fc.integer({min: 0, max: 2 ** 32 - 1}),
        // The same windows again after a RST: stragglers of a closed connection.
        fc.boolean(),
        (windows, isn, rst) => {
          const conv = new Conversation(undefined, undefined, {client: isn, server: 7})
          const hs = conv.handshake()
          const base = conv.next.client
          const pieces = windows.map(([start, len]) =>
            segment({...hs[0], flags: 0x18, seq: (base + start) >>> 0, payload: REQUEST.subarray(start, Math.min(REQUEST.length, start + len))}),
          )
          // The whole request once at the end guarantees coverage; everything before is noise.
          const whole = segment({...hs[0], flags: 0x18, seq: base, payload: REQUEST})
          const {rec, r} = run([...hs, ...pieces, whole, ...(rst ? [conv.rst('client')] : []), ...pieces])
          expect(rec.text(0, 0)).toBe(REQUEST.toString('latin1'))
          // Delivered once, the rest counted as copies (or, after the RST, as on no connection).
          const captured = 2 * pieces.reduce((n, s) => n + s.payload.length, 0) + REQUEST.length
          expect(REQUEST.length + r.stats.duplicateBytes + r.stats.unattributedBytes).toBe(captured)
          expect(rec.flows[0].conflicts).toEqual([])
        },
      ),
      {numRuns: 300},
    )
  })

  it('keeps the first copy of each byte when a retransmit disagrees, as the receiving stack does', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1, s2] = conv.send('client', Buffer.from('abcdefgh'), {cuts: [4]})
    const liar = segment({...s1, payload: Buffer.from('ABCDEF')})
    const {rec} = run([...hs, s1, liar, s2])
    // "ABCD" was already delivered as "abcd"; "EF" arrived first in the liar.
    expect(rec.text(0, 0)).toBe('abcdEFgh')
  })

  it('counts retransmits and out-of-order segments', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1, s2, s3] = conv.send('client', Buffer.from('abcdefghijkl'), {cuts: [4, 8]})
    const {rec, r} = run([...hs, s1, s3, s2, s2, s1])
    expect(rec.text(0, 0)).toBe('abcdefghijkl')
    expect(r.stats.outOfOrder).toBe(1)
    expect(r.stats.retransmits).toBe(2)
  })
})

describe('loss and gaps', () => {
  it('reports a dropped segment as a gap at the end of the capture, and delivers what follows', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1, , s3] = conv.send('client', Buffer.from('aaaabbbbcccc'), {cuts: [4, 8]})
    const {rec, r} = run([...hs, s1, s3])
    expect(rec.text(0, 0)).toBe('aaaa<gap 4>cccc')
    expect(r.stats.gaps).toBe(1)
    expect(r.stats.gapBytes).toBe(4)
  })

  it('reports the gap as soon as the peer acknowledges past the hole', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1, , s3] = conv.send('client', Buffer.from('aaaabbbbcccc'), {cuts: [4, 8]})
    const rec = new Recorder()
    const r = new Reassembler(rec)
    for (const s of [...hs, s1, s3]) r.push(s)
    expect(rec.text(0, 0)).toBe('aaaa')
    r.push(conv.ack('server'))
    expect(rec.text(0, 0)).toBe('aaaa<gap 4>cccc')
  })

  it('skips the oldest hole when held bytes pass the per-connection limit, and says so', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const data = conv.send('client', Buffer.alloc(100, 0x61), {mss: 10})
    const rec = new Recorder()
    const r = new Reassembler(rec, {maxHeldBytes: 35})
    for (const s of [...hs, ...data.slice(1)]) r.push(s)
    // Held 40 > 35 after the fourth segment: gap reported, held data flushed.
    expect(rec.flows[0].limits).toBeGreaterThan(0)
    expect(rec.text(0, 0).startsWith('<gap 10>')).toBe(true)
    expect(r.stats.limitHits).toBeGreaterThan(0)
    r.finish()
    expect(rec.text(0, 0)).toBe('<gap 10>' + 'a'.repeat(90))
  })

  it('reports missing bytes before a FIN', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1] = conv.send('client', Buffer.from('aaaabbbb'), {cuts: [4]})
    const {rec} = run([...hs, s1, conv.fin('client')])
    expect(rec.text(0, 0)).toBe('aaaa<gap 4>')
    expect(rec.flows[0].ends).toEqual(['0 fin'])
  })
})

describe('connection life', () => {
  it('starts mid-connection at the first segment with data', () => {
    const conv = new Conversation()
    conv.handshake()
    const data = conv.send('client', REQUEST, {cuts: [10, 20]})
    const {rec} = run([conv.ack('server'), ...data.slice(1)])
    expect(rec.flows[0].flow.midstream).toBe(true)
    expect(rec.text(0, 0)).toBe(REQUEST.subarray(10).toString('latin1'))
    // No SYN and no --port: the server side is left to the layer above.
    expect(rec.flows[0].flow.server).toBeUndefined()
  })

  it('takes the server side from --port even against the first packet direction', () => {
    const conv = new Conversation()
    conv.handshake()
    const reply = conv.send('server', REPLY)
    const {rec} = run(reply, {serverPorts: [{from: 12_346, to: 12_346}]})
    expect(rec.flows[0].flow.server).toBe('a')
    expect(rec.flows[0].flow.serverBy).toBe('port')
    expect(rec.flows[0].flow.requestDir).toBe(1)
  })

  it('ends both directions on RST', () => {
    const conv = new Conversation()
    const {rec} = run([...conv.handshake(), ...conv.send('client', REQUEST), conv.rst('server')])
    expect(rec.flows[0].ends).toEqual(['0 rst', '1 rst'])
    expect(rec.flows[0].closed).toBe('rst')
  })

  it('starts a new connection when a new SYN reuses a closed four-tuple', () => {
    const first = new Conversation()
    const second = new Conversation(undefined, undefined, {client: 99, server: 5000})
    second.wait(10)
    const {rec, r} = run([...exchange(first), ...exchange(second)])
    expect(r.stats.connections).toBe(2)
    expect(rec.flows.map((f) => f.closed)).toEqual(['fin', 'fin'])
    expect(rec.text(1, 1)).toBe(REPLY.toString('latin1'))
  })

  it('closes a half-closed connection once the other side stays silent', () => {
    const conv = new Conversation()
    const rec = new Recorder()
    const r = new Reassembler(rec, {halfClosedTimeoutMs: 5000})
    for (const s of [...conv.handshake(), ...conv.send('client', REQUEST), conv.fin('client'), conv.ack('server')]) r.push(s)
    r.advance(3000)
    expect(rec.flows[0].closed).toBeUndefined()
    r.advance(6000)
    expect(rec.flows[0].closed).toBe('half-closed')
  })

  it('ignores stray ACKs, FINs and RSTs of connections it never saw', () => {
    const conv = new Conversation()
    conv.handshake()
    conv.send('client', REQUEST)
    const {rec, r} = run([conv.ack('server'), conv.fin('server'), conv.rst('client')])
    expect(rec.flows).toHaveLength(0)
    expect(r.stats.unattached).toBe(3)
  })

  it('keeps connections apart, IPv6 included', () => {
    const v4 = new Conversation()
    const v6 = new Conversation({host: '::1', port: 40_000}, {host: '::1', port: 12_346})
    const a = exchange(v4)
    const b = exchange(v6)
    const mixed = a.flatMap((s, i) => [s, b[i]])
    const {rec} = run(mixed)
    expect(rec.flows).toHaveLength(2)
    expect(rec.text(1, 0)).toBe(REQUEST.toString('latin1'))
    expect(rec.flows[1].flow.describe()).toBe('[::1]:40000 -> [::1]:12346')
  })
})

describe('snaplen', () => {
  it('reports the bytes a snaplen cut off as a gap, and keeps the sequence', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1, s2] = conv.send('client', Buffer.from('aaaabbbbcccc'), {cuts: [8]})
    const cut = {...s1, payload: s1.payload.subarray(0, 3), wireLength: 8}
    const {rec, r} = run([...hs, cut, s2, conv.fin('client')])
    expect(rec.text(0, 0)).toBe('aaa<gap 5>cccc')
    expect(rec.flows[0].ends).toEqual(['0 fin'])
    expect(r.stats.gapBytes).toBe(5)
  })
})

/** A call whose server never closes (rocket): handshake, request, reply, the client's FIN, the server's ACK of it. */
function leftInCloseWait(conv: Conversation): TcpSegment[] {
  return [...conv.handshake(), ...conv.send('client', REQUEST), conv.ack('server'), ...conv.send('server', REPLY), conv.fin('client'), conv.ack('server')]
}

/** The next connection from the same client port, after `ms`: a new ISN (Linux puts it past the old one when it reuses the port). */
function sameTuple(stale: Conversation, ms: number, isn = {client: (stale.next.client + 65_537) >>> 0, server: 2_000_000_000}): Conversation {
  stale.wait(ms)
  return new Conversation(stale.client, stale.server, isn, stale.stamp)
}

/** After the challenge: the retried SYN, the rest of the handshake, a request and a reply. */
function retried(conv: Conversation): TcpSegment[] {
  const [, synAck, ack] = conv.handshake()
  return [conv.synAgain(), synAck, ack, ...conv.send('client', REQUEST), conv.ack('server'), ...conv.send('server', REPLY)]
}

describe('ports reused (rocket leaves its sockets in CLOSE_WAIT)', () => {
  for (const [name, waitMs, halfClosedTimeoutMs] of [
    ['the old connection still open (mid-flow SYN)', 1100, 5000],
    ['the old connection already given up on', 1100, 500],
    ['the old connection long forgotten', 10_000, 500],
  ] as const) {
    it(`follows a challenge ACK, the client's RST and its retried SYN with the same ISN: ${name}`, () => {
      const old = new Conversation()
      const first = leftInCloseWait(old)
      const next = sameTuple(old, waitMs)
      const syn = next.handshake()[0]
      next.next.client = next.isn.client
      const [challenge, rst] = next.challenge(old)
      const {rec, r} = run([...first, syn, challenge, rst, ...retried(next)], {halfClosedTimeoutMs})
      // One connection for each call: the challenge belongs to the second.
      expect(r.stats.connections).toBe(2)
      expect(rec.text(1, 0)).toBe(REQUEST.toString('latin1'))
      expect(rec.text(1, 1)).toBe(REPLY.toString('latin1'))
      expect(rec.flows[1].stale).toEqual([true])
      expect(rec.flows[1].ends).toEqual([])
      expect(r.stats.staleSockets).toBe(1)
      expect(r.stats.gaps).toBe(0)
      // The old one ended when the new SYN came (reused), or at its half-close timeout.
      expect(rec.flows[0].closed).toBe(halfClosedTimeoutMs > waitMs ? 'reused' : 'half-closed')
    })
  }

  it('starts a new connection at a SYN with a new ISN after a RST', () => {
    const old = new Conversation()
    const segs = [...old.handshake(), ...old.send('client', REQUEST), old.rst('server')]
    const next = sameTuple(old, 10)
    const {rec, r} = run([...segs, ...exchange(next)])
    expect(r.stats.connections).toBe(2)
    expect(rec.flows.map((f) => f.closed)).toEqual(['rst', 'fin'])
    expect(rec.text(1, 0)).toBe(REQUEST.toString('latin1'))
  })

  it('starts a new connection at a SYN with the same ISN after a RST', () => {
    const old = new Conversation()
    const segs = [...old.handshake(), old.rst('client')]
    old.wait(10)
    const again = new Conversation(old.client, old.server, old.isn, old.stamp)
    const {rec, r} = run([...segs, ...exchange(again)])
    expect(r.stats.connections).toBe(2)
    expect(rec.text(1, 1)).toBe(REPLY.toString('latin1'))
  })

  it('keeps a retransmitted SYN in its connection', () => {
    const conv = new Conversation()
    const [syn, synAck, ack] = conv.handshake()
    const {rec, r} = run([syn, conv.synAgain(), synAck, ack, ...conv.send('client', REQUEST), conv.synAgain(), conv.fin('client')])
    expect(r.stats.connections).toBe(1)
    expect(rec.text(0, 0)).toBe(REQUEST.toString('latin1'))
    expect(rec.flows[0].stale).toEqual([])
  })

  it('says so when the client never retried after the challenge', () => {
    const old = new Conversation()
    const first = leftInCloseWait(old)
    const next = sameTuple(old, 1100)
    const syn = next.handshake()[0]
    const {rec, r} = run([...first, syn, ...next.challenge(old)])
    expect(rec.flows[1].stale).toEqual([false])
    expect(r.stats.staleSockets).toBe(1)
  })

  it('takes data far from where a closed connection stood for a new connection whose SYN was missed, and counts stragglers', () => {
    const old = new Conversation()
    const segs = [...old.handshake(), ...old.send('client', REQUEST, {cuts: [10]}), old.rst('server')]
    // A straggler: the second piece again, after the RST.
    const straggler = {...segs[4], tsNsec: segs[4].tsNsec + 1_000_000}
    const next = sameTuple(old, 10, {client: 7, server: 9})
    next.handshake()
    const data = next.send('client', REQUEST)
    const {rec, r} = run([...segs, straggler, ...data])
    expect(r.stats.connections).toBe(2)
    expect(rec.flows[1].flow.midstream).toBe(true)
    expect(rec.text(1, 0)).toBe(REQUEST.toString('latin1'))
    expect(r.stats.unattributedBytes).toBe(straggler.payload.length)
  })
})

describe('retransmission with different data', () => {
  it('reports a retransmission whose bytes differ from the first copy, with where and how', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1, s2] = conv.send('client', REQUEST, {cuts: [20]})
    const forged = Buffer.from(s1.payload)
    forged[12] ^= 0xff
    const {rec, r} = run([...hs, s1, s2, {...s1, payload: forged}])
    expect(rec.text(0, 0)).toBe(REQUEST.toString('latin1'))
    expect(r.stats.retransmits).toBe(1)
    expect(rec.flows[0].conflicts).toHaveLength(1)
    const [{m, offset, dir}] = rec.flows[0].conflicts
    expect(dir).toBe(0)
    expect(offset).toBe(12)
    expect(m.seq).toBe((s1.seq + 12) >>> 0)
    expect(m.length).toBe(8)
    expect(m.first).toEqual(REQUEST.subarray(12, 20))
    expect(m.later).toEqual(forged.subarray(12, 20))
  })

  it('reports a partial overlap that differs, at every split of the request', () => {
    for (let cut = 2; cut < REQUEST.length - 1; cut++) {
      const conv = new Conversation()
      const hs = conv.handshake()
      const [s1, s2] = conv.send('client', REQUEST, {cuts: [cut]})
      // A copy of the last byte of s1 and all of s2, the overlapping byte changed.
      const overlap = Buffer.concat([Buffer.from([REQUEST[cut - 1] ^ 0x20]), s2.payload])
      const {rec} = run([...hs, s1, segment({...s2, seq: (s2.seq - 1) >>> 0, payload: overlap}), s2])
      expect(rec.text(0, 0), `cut ${cut}`).toBe(REQUEST.toString('latin1'))
      expect(rec.flows[0].conflicts.map((c) => c.offset), `cut ${cut}`).toEqual([cut - 1])
    }
  })

  it('compares copies held out of order: the same start, and an overlap found when they are delivered', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1, s2, s3] = conv.send('client', REQUEST, {cuts: [10, 30]})
    const otherS2 = {...s2, payload: Buffer.from(s2.payload).fill(0x41, 0, 4)}
    const overlapS3 = segment({...s3, seq: (s3.seq - 5) >>> 0, payload: Buffer.concat([Buffer.from('XXXXX'), s3.payload])})
    const {rec} = run([...hs, s2, otherS2, overlapS3, s3, s1])
    expect(rec.text(0, 0)).toBe(REQUEST.toString('latin1'))
    expect(rec.flows[0].conflicts.map((c) => c.offset)).toEqual([10, 25])
  })

  it('stays quiet about a retransmission of identical bytes, and about one of bytes already acknowledged', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1, s2] = conv.send('client', REQUEST, {cuts: [20]})
    const ack = conv.ack('server')
    // Acknowledged bytes are forgotten: a keepalive-style probe of one old, different byte is no conflict.
    const probe = segment({...s2, seq: (conv.next.client - 1) >>> 0, payload: Buffer.from([0])})
    const {rec, r} = run([...hs, s1, s2, s1, ack, probe])
    expect(r.stats.retransmits).toBe(2)
    expect(rec.flows[0].conflicts).toEqual([])
  })
})

describe('bytes the capture never saw', () => {
  it('reports a lost last segment as soon as the peer acknowledges past it', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1] = conv.send('client', REQUEST, {cuts: [30]})
    const rec = new Recorder()
    const r = new Reassembler(rec)
    for (const s of [...hs, s1, conv.ack('server')]) r.push(s)
    expect(rec.text(0, 0)).toBe(REQUEST.subarray(0, 30).toString('latin1') + `<gap ${REQUEST.length - 30}>`)
    expect(rec.flows[0].gapCauses).toEqual(['lost'])
  })

  it('starts a direction seen mid-connection where its peer had acknowledged it stood: what came before the first segment is a gap', () => {
    const conv = new Conversation()
    conv.handshake()
    const [req] = conv.send('client', REQUEST)
    const [, tail] = conv.send('server', REPLY, {cuts: [12]})
    // The client's request acknowledges the server's stream up to the reply's first byte; the reply's head is lost.
    const {rec} = run([req, tail, conv.ack('client')])
    expect(rec.text(0, 1)).toBe(`<gap 12>${REPLY.subarray(12).toString('latin1')}`)
    expect(rec.flows[0].gapCauses).toEqual(['lost'])
    // Without an earlier acknowledgement, the first segment is where the direction starts.
    expect(run([tail, conv.ack('client')]).rec.text(0, 0)).toBe(REPLY.subarray(12).toString('latin1'))
  })

  it('says a snaplen cut is a truncation, and counts truncated segments', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1, s2] = conv.send('client', Buffer.from('aaaabbbbcccc'), {cuts: [8]})
    const {rec, r} = run([...hs, {...s1, payload: s1.payload.subarray(0, 3), wireLength: 8}, s2])
    expect(rec.flows[0].gapCauses).toEqual(['truncated'])
    expect(r.stats.truncated).toBe(1)
  })

  it('reports the cut of a truncated segment held out of order once the stream reaches it', () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const [s1, s2, s3] = conv.send('client', Buffer.from('aaaabbbbcccc'), {cuts: [4, 8]})
    const {rec} = run([...hs, {...s2, payload: s2.payload.subarray(0, 1), wireLength: 4}, s3, s1])
    expect(rec.text(0, 0)).toBe('aaaab<gap 3>cccc')
    expect(rec.flows[0].gapCauses).toEqual(['truncated'])
  })
})
