// A pcap of N TinyPB calls for bench/sniff.ts, with the segmentation a real
// capture shows:
// - 64 long-lived connections (tinyrpc style) carry 90% of the calls, several
//   calls in flight per connection, replies in completion order, a delayed
//   ACK from the client every other reply;
// - 10% of the calls open their own connection (rocket's client): handshake,
//   request, reply, FIN from both sides;
// - 5% of the replies are 3-10 KiB, cut at a 1448-byte MSS;
// - 10% of the requests on long connections are written together with the
//   next one (two frames in one segment).
// Calls arrive at about 50,000 per second with 50 us - 2 ms of service time.
// Ethernet, IPv4, TCP timestamps as Linux sends them. Deterministic (seeded).
//
//   npx tsx bench/sniff-pcap.ts FILE [calls]

import {closeSync, openSync, writeSync} from 'node:fs'

import {encodePacket, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN} from '../decoders/packet/index.js'
import {encodePcapHeader, writePcapRecordHeader} from '../decoders/pcap/index.js'
import {encodeFrame} from '../decoders/tinypb/index.js'
import {MinHeap} from '../src/net/min-heap.js'
import {seededRandom} from '../src/stats/index.js'

const LINKTYPE_ETHERNET = 1
const SERVER = {host: '10.0.0.1', port: 12_345}
const LONG_CONNECTIONS = 64
const MSS = 1448
const METHODS = ['Order.makeOrder', 'Order.queryOrder', 'QueryService.query_name', 'QueryService.query_age']

interface Conn {
  client: {host: string; port: number}
  /** Next sequence number to hand out, per direction: a write takes its range when it is scheduled. */
  seq: {c: number; s: number}
  /** Next sequence number on the wire, per direction: what the peer can acknowledge. */
  wire: {c: number; s: number}
  /** A direction is busy until its last scheduled write went out: writes never interleave. */
  busy: {c: number; s: number}
  /** Replies since the client last ACKed (it ACKs every other one). */
  unacked: number
}

interface Packet {
  t: number
  order: number
  conn: Conn
  fromClient: boolean
  seq: number
  flags: number
  payload?: Buffer
}

export interface GeneratedCapture {
  calls: number
  packets: number
  bytes: number
}

export function generateSniffPcap(file: string, calls: number): GeneratedCapture {
  const rand = seededRandom(0x7e57)
  const fd = openSync(file, 'w', 0o600)
  const chunk = Buffer.allocUnsafe(8 * 1024 * 1024)
  let used = 0
  let packets = 0
  let bytes = 0
  const flush = () => {
    writeSync(fd, chunk, 0, used)
    bytes += used
    used = 0
  }
  const header = encodePcapHeader({linkType: LINKTYPE_ETHERNET})
  header.copy(chunk, 0)
  used = header.length

  // Packets by time (then creation order): replies complete out of order.
  const heap = new MinHeap<Packet>((x, y) => x.t < y.t || (x.t === y.t && x.order < y.order))
  let order = 0
  const t0 = 1_700_000_000 * 1e6 // microseconds
  const write = (p: Packet) => {
    const c = p.conn
    const [src, dst] = p.fromClient ? [c.client, SERVER] : [SERVER, c.client]
    const seq = p.seq
    const ack = p.fromClient ? c.wire.s : c.wire.c
    const len = p.payload?.length ?? 0
    const data = encodePacket({
      src: src.host,
      dst: dst.host,
      srcPort: src.port,
      dstPort: dst.port,
      seq,
      ack: p.flags & TCP_SYN && p.fromClient ? 0 : ack,
      flags: p.flags,
      window: 512,
      options: {tsVal: Math.floor(p.t / 1000) >>> 0, tsEcr: Math.floor(p.t / 1000 - 1) >>> 0},
      payload: p.payload,
      checksums: false,
    })
    const end = (seq + len + (p.flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0
    if (p.fromClient) c.wire.c = end
    else c.wire.s = end
    if (used + 16 + data.length > chunk.length) flush()
    const us = Math.floor(p.t)
    writePcapRecordHeader(chunk, used, Math.floor(us / 1e6), (us % 1e6) * 1000, data.length, data.length)
    data.copy(chunk, used + 16)
    used += 16 + data.length
    packets++
  }
  /** Schedule a packet: it takes its sequence range now, and goes out no earlier than the direction's last one. */
  const at = (t: number, conn: Conn, fromClient: boolean, flags: number, payload?: Buffer) => {
    const d = fromClient ? 'c' : 's'
    const when = Math.max(t, conn.busy[d] + 1)
    conn.busy[d] = when
    const seq = conn.seq[d]
    conn.seq[d] = (seq + (payload?.length ?? 0) + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0
    heap.push({t: when, order: order++, conn, fromClient, seq, flags, payload})
    return when
  }
  /** Payload bytes cut at the MSS, one packet per piece, 2 us apart; returns when the last one goes out. */
  const send = (t: number, conn: Conn, fromClient: boolean, payload: Buffer) => {
    let last = t
    for (let off = 0, i = 0; off < payload.length; off += MSS, i++) last = at(t + 2 * i, conn, fromClient, TCP_ACK | TCP_PSH, payload.subarray(off, off + MSS))
    return last
  }
  const newConn = (client: {host: string; port: number}): Conn => {
    const c = isn()
    const s = isn()
    return {client, seq: {c, s}, wire: {c, s}, busy: {c: 0, s: 0}, unacked: 0}
  }

  const isn = () => Math.floor(rand() * 2 ** 32) >>> 0
  const long: Conn[] = Array.from({length: LONG_CONNECTIONS}, (_, i) => newConn({host: `10.0.1.${1 + (i % 250)}`, port: 40_000 + i}))
  let nextPort = 20_000
  let t = t0
  let msg = 10_000_000_000_000_000_000n
  /** pb_data of about n bytes that parses: field `field`, a string of letters. */
  const frameFor = (method: string, msgId: string, n: number, field: number) => {
    const text = Buffer.alloc(Math.max(0, n - 3), 0x61)
    const len = text.length < 128 ? [text.length] : [(text.length & 0x7f) | 0x80, text.length >> 7]
    return encodeFrame({msgId, methodName: method, pbData: Buffer.concat([Buffer.from([(field << 3) | 2, ...len]), text])})
  }

  for (let i = 0; i < calls; i++) {
    // Poisson arrivals, 50,000 calls per second.
    t += -Math.log(1 - rand()) * 20
    while (heap.size > 0 && heap.peek()!.t <= t) write(heap.pop()!)
    const method = METHODS[Math.floor(rand() * METHODS.length)]
    const msgId = String(msg++)
    const service = 50 + rand() * rand() * 1950
    const request = frameFor(method, msgId, 8 + Math.floor(rand() * 120), 2)
    const replyPb = rand() < 0.05 ? 3000 + Math.floor(rand() * 7000) : 10 + Math.floor(rand() * 60)
    const reply = frameFor(method, msgId, replyPb, 3)
    if (rand() < 0.1) {
      // rocket's client: a connection of its own, closed by both sides.
      const conn = newConn({host: '10.0.2.1', port: nextPort})
      nextPort = nextPort >= 60_000 ? 20_000 : nextPort + 1
      at(t, conn, true, TCP_SYN)
      at(t + 10, conn, false, TCP_SYN | TCP_ACK)
      at(t + 20, conn, true, TCP_ACK)
      const sent = send(t + 30, conn, true, request)
      at(sent + 10, conn, false, TCP_ACK)
      const done = send(sent + service, conn, false, reply)
      at(done + 40, conn, true, TCP_FIN | TCP_ACK)
      at(done + 60, conn, false, TCP_FIN | TCP_ACK)
      at(done + 70, conn, true, TCP_ACK)
      continue
    }
    const conn = long[Math.floor(rand() * long.length)]
    if (rand() < 0.1 && i + 1 < calls) {
      // Two requests in one write.
      const msgId2 = String(msg++)
      const request2 = frameFor(method, msgId2, 8 + Math.floor(rand() * 120), 2)
      const sent = send(t, conn, true, Buffer.concat([request, request2]))
      send(sent + service, conn, false, reply)
      send(sent + service + 30 + rand() * 500, conn, false, frameFor(method, msgId2, 10 + Math.floor(rand() * 60), 3))
      i++
    } else {
      const sent = send(t, conn, true, request)
      const done = send(sent + service, conn, false, reply)
      if (++conn.unacked % 2 === 0) at(done + 40, conn, true, TCP_ACK)
    }
  }
  while (heap.size > 0) write(heap.pop()!)
  flush()
  closeSync(fd)
  return {calls, packets, bytes}
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2]
  if (file === undefined) throw new Error('usage: tsx bench/sniff-pcap.ts FILE [calls]')
  const started = performance.now()
  const g = generateSniffPcap(file, Number(process.argv[3] ?? 1_000_000))
  console.log(`${file}: ${g.calls} calls, ${g.packets} packets, ${(g.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}
