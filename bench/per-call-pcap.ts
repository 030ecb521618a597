// A pcap of N TinyPB calls as rocket's client makes them: one connection per
// call (handshake, request, ACK, reply, ACK, FIN both ways), 10 packets per
// call, over loopback, Ethernet + IPv4 + TCP with timestamps. Client ports
// cycle through 28,000, as Linux's ephemeral range does. Issue 14's
// `sniff --read` row (200k calls, 2M packets) is this shape; bench/sniff-pcap.ts
// makes the mixed one (long-lived connections, several calls in flight).
//
//   npx tsx bench/per-call-pcap.ts FILE [calls]

import {closeSync, openSync, statSync, writeSync} from 'node:fs'

import {encodePacket, TCP_ACK, TCP_FIN, TCP_SYN} from '../decoders/packet/index.js'
import {encodePcapHeader, writePcapRecordHeader} from '../decoders/pcap/index.js'
import {encodeFrame} from '../decoders/tinypb/index.js'
import type {GeneratedCapture} from './sniff-pcap.js'

export const PER_CALL = 10

export function generatePerCallPcap(path: string, calls: number): GeneratedCapture {
  const fd = openSync(path, 'w', 0o600)
  writeSync(fd, encodePcapHeader({linkType: 1}))
  let us = 1_700_000_000_000_000
  const out: Buffer[] = []
  let pending = 0
  const flush = () => {
    writeSync(fd, Buffer.concat(out))
    out.length = 0
    pending = 0
  }
  for (let c = 0; c < calls; c++) {
    const msgId = String(20000000000000000000n + BigInt(c))
    const req = encodeFrame({msgId, methodName: 'Order.makeOrder', pbData: Buffer.from('086412056170706c65', 'hex')})
    const rep = encodeFrame({msgId, methodName: 'Order.makeOrder', pbData: Buffer.from('1a083230323330353134', 'hex')})
    const port = 32768 + (c % 28000)
    const ts = {tsVal: c, tsEcr: c}
    const C = {src: '127.0.0.1', dst: '127.0.0.1', srcPort: port, dstPort: 12345, options: ts}
    const S = {src: '127.0.0.1', dst: '127.0.0.1', srcPort: 12345, dstPort: port, options: ts}
    const syn = {mss: 65495, sackPermitted: true, tsVal: c, tsEcr: 0, windowScale: 7}
    const a = 1000
    const b = 5000
    const packets = [
      encodePacket({...C, seq: a, flags: TCP_SYN, options: syn}),
      encodePacket({...S, seq: b, ack: a + 1, flags: TCP_SYN | TCP_ACK, options: syn}),
      encodePacket({...C, seq: a + 1, ack: b + 1}),
      encodePacket({...C, seq: a + 1, ack: b + 1, payload: req}),
      encodePacket({...S, seq: b + 1, ack: a + 1 + req.length}),
      encodePacket({...S, seq: b + 1, ack: a + 1 + req.length, payload: rep}),
      encodePacket({...C, seq: a + 1 + req.length, ack: b + 1 + rep.length}),
      encodePacket({...C, seq: a + 1 + req.length, ack: b + 1 + rep.length, flags: TCP_FIN | TCP_ACK}),
      encodePacket({...S, seq: b + 1 + rep.length, ack: a + 2 + req.length, flags: TCP_FIN | TCP_ACK}),
      encodePacket({...C, seq: a + 2 + req.length, ack: b + 2 + rep.length}),
    ]
    for (const p of packets) {
      const h = Buffer.alloc(16)
      us += 13
      writePcapRecordHeader(h, 0, Math.floor(us / 1e6), (us % 1e6) * 1000, p.length, p.length)
      out.push(h, p)
      pending += p.length + 16
    }
    if (pending > 4 << 20) flush()
  }
  flush()
  closeSync(fd)
  return {calls, packets: calls * PER_CALL, bytes: statSync(path).size}
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === undefined) throw new Error('usage: tsx bench/per-call-pcap.ts FILE [calls]')
  const g = generatePerCallPcap(process.argv[2], Number(process.argv[3] ?? 200_000))
  console.log(`${process.argv[2]}: ${g.calls} calls, ${g.packets} packets, ${(g.bytes / 1e6).toFixed(1)} MB`)
}
