// The records of a sock_diag dump as the kernel writes them (linux/netlink.h,
// linux/inet_diag.h), read by readDumpRecords: rows, backlogs, the end of a
// dump, the kernel's errors, and the records of an earlier request left on
// the socket when its dump was given up. test/sockets/live.test.ts dumps the
// real tables.
import {describe, expect, it} from 'vitest'

import {dumpBuffer, readDumpRecords, type SockDiagTable} from '../../src/sockets/sock-diag.js'

const SOCK_DIAG_BY_FAMILY = 20
const NLMSG_ERROR = 2
const NLMSG_DONE = 3

interface Socket {
  state: number
  sport: number
  dport: number
  src: number[]
  dst: number[]
  rqueue?: number
  wqueue?: number
  uid?: number
  inode: number
}

/** struct nlmsghdr (host order), then body. */
function message(type: number, seq: number, body: Buffer): Buffer {
  const head = Buffer.alloc(16)
  head.writeUInt32LE(16 + body.length, 0)
  head.writeUInt16LE(type, 4)
  head.writeUInt16LE(0x2, 6) // NLM_F_MULTI
  head.writeUInt32LE(seq, 8)
  head.writeUInt32LE(4242, 12)
  return Buffer.concat([head, body, Buffer.alloc((4 - (body.length % 4)) % 4)])
}

/** An AF_INET socket's struct inet_diag_msg, and `attributes` bytes after it (which the record's length counts, its padding not). */
function record(seq: number, s: Socket, attributes = 0): Buffer {
  const m = Buffer.alloc(72 + attributes)
  m[0] = 2 // AF_INET
  m[1] = s.state
  m.writeUInt16BE(s.sport, 4)
  m.writeUInt16BE(s.dport, 6)
  Buffer.from(s.src).copy(m, 8)
  Buffer.from(s.dst).copy(m, 24)
  m.writeUInt32LE(s.rqueue ?? 0, 56)
  m.writeUInt32LE(s.wqueue ?? 0, 60)
  m.writeUInt32LE(s.uid ?? 0, 64)
  m.writeUInt32LE(s.inode, 68)
  return message(SOCK_DIAG_BY_FAMILY, seq, m)
}

const done = (seq: number) => message(NLMSG_DONE, seq, Buffer.alloc(4))
const error = (seq: number, errno: number) => {
  const body = Buffer.alloc(4 + 16)
  body.writeInt32LE(-errno, 0)
  return message(NLMSG_ERROR, seq, body)
}

const LOOPBACK = [127, 0, 0, 1]
const listener: Socket = {state: 10, sport: 12345, dport: 0, src: LOOPBACK, dst: [0, 0, 0, 0], rqueue: 3, wqueue: 128, uid: 1000, inode: 5001}
const connected: Socket = {state: 1, sport: 12345, dport: 40000, src: LOOPBACK, dst: LOOPBACK, rqueue: 10, wqueue: 20, inode: 5002}
const stale: Socket = {state: 1, sport: 999, dport: 998, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], inode: 7007}

/** Reads, each one recv's worth of bytes, through readDumpRecords for request seq: each read's outcome and the table. */
function readAll(reads: Buffer[], seq: number): {outcomes: string[]; table: SockDiagTable} {
  const into = dumpBuffer(64 * 1024)
  const table: SockDiagTable = {sockets: [], backlogs: new Map()}
  const outcomes: string[] = []
  for (const bytes of reads) {
    bytes.copy(into.buf)
    outcomes.push(readDumpRecords(into, bytes.length, seq, 'tcp', 4, table))
  }
  return {outcomes, table}
}

describe('readDumpRecords', () => {
  it('rows as /proc/net/tcp gives them, a listener\'s backlog limit, the end of the dump', () => {
    // The listener's record has 5 bytes of attributes (3 of padding follow); a record too short to be a socket is passed over.
    const short = message(SOCK_DIAG_BY_FAMILY, 7, Buffer.alloc(40, 0xff))
    const {outcomes, table} = readAll([Buffer.concat([record(7, listener, 5), short, record(7, connected)]), done(7)], 7)
    expect(outcomes).toEqual(['more', 'done'])
    expect(table.sockets.map((s) => [s.state, s.localAddress, s.localPort, s.peerAddress, s.peerPort, s.recvQ, s.sendQ, s.uid, s.inode])).toEqual([
      ['LISTEN', '127.0.0.1', 12345, '0.0.0.0', 0, 3, 0, 1000, 5001],
      ['ESTABLISHED', '127.0.0.1', 12345, '127.0.0.1', 40000, 10, 20, 0, 5002],
    ])
    expect([...table.backlogs]).toEqual([[5001, 128]])
  })

  it('skips what is left of an earlier request\'s dump, its end included', () => {
    // Request 3's dump was given up after its first read; request 4 finds the rest of it first.
    const {outcomes, table} = readAll([Buffer.concat([record(3, stale), done(3), record(4, listener)]), Buffer.concat([record(4, connected), done(4)])], 4)
    expect(outcomes).toEqual(['more', 'done'])
    expect(table.sockets.map((s) => s.inode)).toEqual([5001, 5002])
    // An earlier request's error is not this one's.
    expect(readAll([Buffer.concat([error(3, 11), record(4, connected), done(4)])], 4).outcomes).toEqual(['done'])
  })

  it('the kernel\'s error for this request, and a record that does not fit the read, as errno names', () => {
    expect(readAll([error(5, 2)], 5).outcomes).toEqual(['ENOENT'])
    const cut = Buffer.concat([record(5, listener), record(5, connected)])
    expect(readAll([cut.subarray(0, cut.length - 8)], 5).outcomes).toEqual(['EPROTO'])
    const tooShort = Buffer.from(cut)
    tooShort.writeUInt32LE(8, 0)
    expect(readAll([tooShort], 5).outcomes).toEqual(['EPROTO'])
  })
})
