// Known traffic for the metrics tests: scripted TCP conversations written to a
// real pcap file, which runSniff then reads like any capture.

import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {encodePacket, LINKTYPE_ETHERNET} from '../../decoders/packet/index.js'
import type {TcpSegment} from '../../decoders/packet/segment.js'
import {encodePcapFile} from '../../decoders/pcap/index.js'
import {encodeFrame} from '../../decoders/tinypb/index.js'

export function pcapOf(segments: readonly TcpSegment[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-metrics-'))
  const file = join(dir, 'traffic.pcap')
  const packets = segments.map((s) => ({
    tsSec: s.tsSec,
    tsNsec: s.tsNsec,
    data: encodePacket({src: s.src, dst: s.dst, srcPort: s.srcPort, dstPort: s.dstPort, seq: s.seq, ack: s.ack, flags: s.flags, payload: s.payload}),
  }))
  writeFileSync(file, encodePcapFile({linkType: LINKTYPE_ETHERNET, nanoseconds: true}, packets))
  return file
}

export function request(msgId: string, method = 'Order.makeOrder', pbData: Uint8Array = Buffer.from('086412056170706c65', 'hex')): Buffer {
  return encodeFrame({msgId, methodName: method, pbData})
}

export function reply(msgId: string, method = 'Order.makeOrder', errCode = 0, errInfo = ''): Buffer {
  return encodeFrame({msgId, methodName: method, errCode, errInfo, pbData: errCode === 0 ? Buffer.from('1a083230323330353134', 'hex') : undefined})
}
