// A capture with a bit of everything, built from scripted TCP conversations
// (real sequence numbers, Ethernet, microsecond pcap): calls of three methods
// to two servers, most on a connection of their own (rocket's client), some on
// long-lived connections (tinyrpc style), with error replies, requests left
// unanswered in four ways (the server closes first, the server resets, the
// reply comes after --timeout, the capture ends first), a duplicate reply
// (rocket re-sending on a reused connection) and a reply to no request.
// Deterministic: the same file for the same options.

import {writeFileSync} from 'node:fs'

import {encodePacket, LINKTYPE_ETHERNET} from '../../../decoders/packet/index.js'
import type {TcpSegment} from '../../../decoders/packet/segment.js'
import {encodePcapFile} from '../../../decoders/pcap/index.js'
import {encodeFrame, ERROR_METHOD_NOT_FOUND} from '../../../decoders/tinypb/index.js'
import {seededRandom} from '../../../src/stats/index.js'
import {Conversation} from '../../sniff/reassembly/builders.js'

export const SERVER_A = {host: '127.0.0.1', port: 12_345}
export const SERVER_B = {host: '127.0.0.1', port: 39_999}
const METHODS = ['Order.makeOrder', 'Order.queryOrder', 'QueryService.query_name']
const START_SEC = 1_795_488_502
/** The test reads the capture with this --timeout: the late reply comes after it. */
export const TIMEOUT_MS = 200

export interface MixedCapture {
  readonly file: string
  readonly calls: number
  /** msg_ids of the requests reported unanswered, by how they ended. */
  readonly unanswered: {readonly closed: string[]; readonly reset: string[]; readonly end: string[]}
  /** Reported unanswered at --timeout, answered afterwards. */
  readonly late: string[]
  readonly errors: number
  readonly duplicates: number
  readonly orphans: number
  /** The call that took longest (its connection's ladder comes first). */
  readonly slowest: {readonly msgId: string; readonly ms: number}
}

function msgId(n: number): string {
  return `7${String(n).padStart(19, '0')}`
}

const PB_REQUEST = Buffer.from('086412056170706c65', 'hex')
const PB_REPLY = Buffer.from('1a083230323330353134', 'hex')

function request(id: string, method: string): Buffer {
  return encodeFrame({msgId: id, methodName: method, pbData: PB_REQUEST})
}

function reply(id: string, method: string, error = false): Buffer {
  return error ? encodeFrame({msgId: id, methodName: method, errCode: ERROR_METHOD_NOT_FOUND, errInfo: `not found method_name:[${method}]`}) : encodeFrame({msgId: id, methodName: method, pbData: PB_REPLY})
}

export function writeMixedCapture(file: string, calls = 3000, spanMs = 10_000): MixedCapture {
  const rand = seededRandom(0x5eed5)
  const segs: TcpSegment[] = []
  const out = {closed: [] as string[], reset: [] as string[], end: [] as string[]}
  const late: string[] = []
  let errors = 0
  let duplicates = 0
  let orphans = 0
  let slowest = {msgId: '', ms: -1}
  /** Latency in ms: mostly 0.2-2 ms, a slow spell in the middle of the run, a rare long tail. */
  const latency = (at: number) => {
    const base = 0.2 + rand() * 1.8
    const slowSpell = at > spanMs * 0.45 && at < spanMs * 0.55 ? 5 + rand() * 20 : 0
    const tail = rand() < 0.01 ? 20 + rand() * 60 : 0
    return base + slowSpell + tail
  }
  const stamp = (ms: number) => ({sec: START_SEC + Math.floor(ms / 1000), nsec: Math.round((ms % 1000) * 1e6)})

  // Long-lived connections to server B, one per method, calls in sequence.
  const longConns = METHODS.map((_, i) => new Conversation({host: '127.0.0.1', port: 51_000 + i}, SERVER_B, {client: 1000 + i, server: 9000 + i}, stamp(1), 20))
  const longNext = longConns.map(() => 0)
  for (const c of longConns) segs.push(...c.handshake())

  const special = new Map<number, 'closed' | 'reset' | 'late' | 'end' | 'duplicate' | 'orphan'>([
    [Math.floor(calls * 0.2), 'closed'],
    [Math.floor(calls * 0.3), 'reset'],
    [Math.floor(calls * 0.4), 'late'],
    [Math.floor(calls * 0.6), 'closed'],
    [Math.floor(calls * 0.7), 'duplicate'],
    [Math.floor(calls * 0.75), 'orphan'],
    [calls - 1, 'end'],
  ])

  for (let n = 0; n < calls; n++) {
    const at = 2 + (n / calls) * (spanMs - 50)
    const id = msgId(n)
    const method = METHODS[n % METHODS.length]
    const kind = special.get(n)
    const error = kind === undefined && n % 17 === 5
    const ms = latency(at)
    const onLong = kind === 'duplicate' || kind === 'orphan' || (kind === undefined && n % 5 === 0)
    if (onLong) {
      const li = n % METHODS.length
      const c = longConns[li]
      c.wait(Math.max(0, at - longNext[li]))
      segs.push(...c.send('client', request(id, method)), c.ack('server'))
      c.wait(ms)
      const r = reply(id, method, error)
      segs.push(...c.send('server', kind === 'duplicate' ? Buffer.concat([r, r]) : r), c.ack('client'))
      if (kind === 'duplicate') duplicates++
      if (kind === 'orphan') {
        segs.push(...c.send('server', reply(msgId(calls + 99), method)))
        orphans++
      }
      if (error) errors++
      if (ms > slowest.ms) slowest = {msgId: id, ms}
      longNext[li] = at + ms + 1
      continue
    }
    const server = n % 2 === 0 ? SERVER_A : SERVER_B
    const c = new Conversation({host: '127.0.0.2', port: 20_000 + (n % 40_000)}, server, {client: 100_000 + n * 7, server: 500_000 + n * 13}, stamp(at), 15)
    segs.push(...c.handshake(), ...c.send('client', request(id, method)), c.ack('server'))
    switch (kind) {
      case 'closed':
        c.wait(3)
        segs.push(c.fin('client'), c.fin('server'), c.ack('client'))
        out.closed.push(id)
        continue
      case 'reset':
        c.wait(2)
        segs.push(c.rst('server'))
        out.reset.push(id)
        continue
      case 'end':
        out.end.push(id)
        continue
      case 'late':
        c.wait(TIMEOUT_MS + 150)
        late.push(id)
        break
      default:
        c.wait(ms)
    }
    segs.push(...c.send('server', reply(id, method, error)), c.ack('client'), c.fin('client'), c.fin('server'), c.ack('client'))
    if (error) errors++
    if (kind === undefined && ms > slowest.ms) slowest = {msgId: id, ms}
  }
  for (const c of longConns) {
    c.wait(5)
    segs.push(c.fin('client'), c.fin('server'), c.ack('client'))
  }
  // Capture order: by time, stable within a connection.
  const ordered = segs.map((s, i) => ({s, i})).sort((a, b) => a.s.tsSec - b.s.tsSec || a.s.tsNsec - b.s.tsNsec || a.i - b.i)
  const packets = ordered.map(({s}) => ({tsSec: s.tsSec, tsNsec: Math.floor(s.tsNsec / 1000) * 1000, data: encodePacket({...s, linkType: LINKTYPE_ETHERNET})}))
  writeFileSync(file, encodePcapFile({linkType: LINKTYPE_ETHERNET}, packets))
  return {file, calls, unanswered: out, late, errors, duplicates, orphans, slowest}
}
