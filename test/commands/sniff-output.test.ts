// What sniff prints around the events: blocks of lines, lines held for process
// names, the progress line of a long --read, and the human lines themselves.
import {once} from 'node:events'
import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'

import {ManualClock} from '../../src/net/index.js'
import {type ConnRef, type FrameInfo, ProcessAttribution, type SniffEvent} from '../../src/sniff/index.js'
import {colorsFor} from '../../src/render/color.js'
import {CaptureTimeFormat} from '../../src/render/sniff/format.js'
import {SniffHumanRenderer} from '../../src/render/sniff/human.js'
import {SniffJsonRenderer} from '../../src/render/sniff/json.js'
import {LineWriter, SniffPrinter} from '../../src/render/sniff/output.js'
import {ProgressLine, progressText} from '../../src/render/sniff/progress.js'
import {SocketIndex, type SocketRow} from '../../src/sockets/index.js'
import {connRef} from '../sniff/conn-ref.js'

const plain = colorsFor({isTTY: false}, {})
// 2023-05-14 02:48:22 UTC
const clock = new CaptureTimeFormat(() => 1_684_032_502, true)

const conn = () => connRef()

function frame(t: number, extra: Partial<FrameInfo> = {}): FrameInfo {
  return {t, msgId: '20000000000000000001', method: 'Order.makeOrder', size: 70, pbLen: 9, errCode: 0, errInfo: '', ...extra}
}

function tx(c: ConnRef): SniffEvent {
  return {type: 'transaction', t: 960.779, conn: c, request: frame(959.761), response: frame(960.779, {size: 71}), latencyMs: 1.018, status: 'ok'}
}

function row(local: [string, number], peer: [string, number], pid: number, process: string, state: SocketRow['state'] = 'ESTABLISHED'): SocketRow {
  return {
    protocol: 'tcp',
    family: 4,
    state,
    localAddress: local[0],
    localPort: local[1],
    peerAddress: peer[0],
    peerPort: peer[1],
    recvQ: 0,
    sendQ: 0,
    inode: pid,
    uid: 0,
    pid,
    process,
    owners: [{pid, process, fd: 3}],
    pidMissing: null,
  }
}

describe('human lines', () => {
  const human = new SniffHumanRenderer({colors: plain, clock})

  it('time, client -> server, method, msg_id, sizes, latency, status', () => {
    expect(human.render(tx(conn()))).toEqual(['02:48:22.960779 127.0.0.1:50346 -> 127.0.0.1:12346 Order.makeOrder #20000000000000000001 70B/71B 1.018 ms OK'])
  })

  it('names the processes at both ends when known', () => {
    const c = {...conn(), clientProcess: {pid: 123, name: 'test_rpc_client'}, serverProcess: {pid: 456, name: 'test_rpc_server'}}
    expect(human.render(tx(c))[0]).toContain('127.0.0.1:50346(pid 123 test_rpc_client) -> 127.0.0.1:12346(pid 456 test_rpc_server)')
  })

  it('gives an error reply its code, name and text', () => {
    const e: SniffEvent = {...(tx(conn()) as Extract<SniffEvent, {type: 'transaction'}>), status: 'error', errName: 'ERROR_METHOD_NOT_FOUND', response: frame(960.779, {errCode: 10_000_009, errInfo: 'not found method_name:[x]'})}
    expect(human.render(e)[0]).toMatch(/ERR 10000009 ERROR_METHOD_NOT_FOUND "not found method_name:\[x\]"$/)
  })

  it('lists the likely causes under an unanswered request', () => {
    const e: SniffEvent = {
      type: 'unanswered',
      t: 5960,
      conn: conn(),
      request: frame(959.761, {size: 200}),
      waitedMs: 5000.239,
      reason: 'timeout',
      causes: [
        {code: 'FRAME_TOO_LARGE', message: 'the request frame is 200 bytes: rocket silently drops frames of 128 bytes or more'},
        {code: 'HANDLER_NO_DONE', message: 'the handler returned without running done'},
      ],
    }
    expect(human.render(e)).toEqual([
      '02:48:27.960000 127.0.0.1:50346 -> 127.0.0.1:12346 Order.makeOrder #20000000000000000001 200B UNANSWERED after 5.000 s (no reply within --timeout)',
      '    likely: the request frame is 200 bytes: rocket silently drops frames of 128 bytes or more',
      '        or: the handler returned without running done',
    ])
  })

  it('says UNCERTAIN, and why, for a call the capture cannot tell', () => {
    const waiting: SniffEvent = {
      type: 'uncertain',
      t: 1960,
      conn: conn(),
      reason: 'gap',
      note: 'no reply seen, but the capture lost bytes the server sent while the request waited: the reply may be among them',
      request: frame(959.761),
      waitedMs: 1000.239,
      waitEnded: 'end',
    }
    expect(human.render(waiting)).toEqual([
      '02:48:23.960000 127.0.0.1:50346 -> 127.0.0.1:12346 Order.makeOrder #20000000000000000001 70B UNCERTAIN (capture gap) after 1.000 s: no reply seen, but the capture lost bytes the server sent while the request waited: the reply may be among them',
    ])
    const both: SniffEvent = {type: 'uncertain', t: 960.779, conn: conn(), reason: 'conflict', note: 'paired, but', request: frame(959.761), response: frame(960.779, {size: 71}), latencyMs: 1.018}
    expect(human.render(both)[0]).toBe(
      '02:48:22.960779 127.0.0.1:50346 -> 127.0.0.1:12346 Order.makeOrder #20000000000000000001 70B/71B 1.018 ms UNCERTAIN (retransmission with different data): paired, but',
    )
    const json = new SniffJsonRenderer({clock}).toJson(waiting)
    expect(json).toEqual({
      type: 'uncertain',
      ts: 1_684_032_503.96,
      conn: 1,
      client: '127.0.0.1:50346',
      server: '127.0.0.1:12346',
      method: 'Order.makeOrder',
      msgId: '20000000000000000001',
      reason: 'gap',
      note: waiting.note,
      waitedMs: 1000.239,
      waitEnded: 'end',
      request: {ts: 1_684_032_502.959761, size: 70, pbLen: 9},
    })
  })

  it('shows a stale server socket only with -v, and always in --json', () => {
    const e: SniffEvent = {type: 'stale-socket', t: 1, conn: conn(), retried: true, message: 'stale server socket: SYN answered with a challenge ACK, client reset and retried'}
    expect(human.render(e)).toEqual([])
    expect(new SniffHumanRenderer({colors: plain, clock, verbose: true}).render(e)).toEqual([
      '02:48:22.001000 127.0.0.1:50346 -> 127.0.0.1:12346 connection #1: stale server socket: SYN answered with a challenge ACK, client reset and retried',
    ])
    expect(new SniffJsonRenderer({clock}).toJson(e)).toMatchObject({type: 'stale-socket', conn: 1, retried: true})
  })

  it('says whether a gap was lost or cut by the snap length', () => {
    const gap = (cause: 'lost' | 'truncated'): SniffEvent => ({type: 'gap', t: 1, conn: conn(), from: 'server', missing: 14, dropped: 65_000, cause})
    expect(human.render(gap('lost'))[0]).toMatch(/server GAP: the capture lost 14 bytes; 65000 bytes of a frame it cut were dropped; resyncing$/)
    expect(human.render(gap('truncated'))[0]).toMatch(/server GAP: the capture kept only part of a packet: 14 bytes missing \(snap length\); 65000 bytes/)
  })

  it('shows string-protocol chunks quoted, with a hex dump under -x', () => {
    const e: SniffEvent = {type: 'chunk', t: 1, conn: conn(), from: 'server', bytes: Buffer.from('hi\x00')}
    expect(human.render(e)).toEqual(['02:48:22.001000 127.0.0.1:50346 -> 127.0.0.1:12346 < 3B "hi\\x00"'])
    const hex = new SniffHumanRenderer({colors: plain, clock, hex: true})
    expect(hex.render(e)[1]).toBe('    0000  68 69 00                                          hi.')
  })
})

describe('output blocks', () => {
  it('writes lines in blocks of about the limit, and the rest on flush', () => {
    const blocks: string[] = []
    const w = new LineWriter((b) => blocks.push(b), 10)
    for (const l of ['aaaa', 'bbbb', 'cccc', 'dd']) w.line(l)
    w.flush()
    expect(blocks).toEqual(['aaaa\nbbbb', 'cccc\ndd'])
  })

  it('to a stream: every line intact and in order, multi-byte text and lines longer than a block included', async () => {
    const chunks: Buffer[] = []
    const stream = new PassThrough()
    stream.on('data', (d: Buffer) => chunks.push(d))
    const w = LineWriter.toStream(stream, 64)
    const lines = ['a', 'é€😀 text', 'x'.repeat(200), '', 'b'.repeat(21), 'c'.repeat(21), 'd'.repeat(21), '漢字'.repeat(30)]
    for (const l of lines) w.line(l)
    w.flush()
    stream.end()
    await once(stream, 'end')
    expect(chunks.length).toBeGreaterThan(2)
    expect(Buffer.concat(chunks).toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''))
  })
})

describe('lines held for process names', () => {
  it('holds a new connection until its lookup lands, then prints in order', async () => {
    const lines: string[] = []
    const out = new LineWriter((b) => lines.push(...b.split('\n')), 0)
    let release: (i: SocketIndex) => void = () => {}
    const attribution = new ProcessAttribution(() => new Promise((r) => (release = r)), {minIntervalMs: 0})
    const time = new ManualClock()
    const printer = new SniffPrinter({out, human: new SniffHumanRenderer({colors: plain, clock}), attribution, maxDelayMs: 1000, clock: time})
    const c = conn()
    printer.event(tx(c))
    printer.event(tx(c))
    expect(printer.waiting).toBe(2)
    expect(lines).toEqual([])
    await new Promise((r) => setTimeout(r, 10))
    release(
      new SocketIndex([
        row(['127.0.0.1', 50_346], ['127.0.0.1', 12_346], 123, 'test_rpc_client'),
        row(['127.0.0.1', 12_346], ['0.0.0.0', 0], 456, 'test_rpc_server', 'LISTEN'),
      ]),
    )
    await attribution.idle()
    printer.drain(false)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toContain('(pid 123 test_rpc_client) -> 127.0.0.1:12346(pid 456 test_rpc_server)')
    // A connection the table has already named needs no wait.
    printer.event(tx(c))
    expect(lines).toHaveLength(3)
    time.advance(1)
  })

  it('prints without names once the wait is over', () => {
    const lines: string[] = []
    const out = new LineWriter((b) => lines.push(b), 0)
    const attribution = new ProcessAttribution(() => new Promise(() => {}), {minIntervalMs: 0})
    const time = new ManualClock()
    const printer = new SniffPrinter({out, human: new SniffHumanRenderer({colors: plain, clock}), attribution, maxDelayMs: 300, clock: time})
    printer.event(tx(conn()))
    expect(lines).toEqual([])
    time.set(300)
    printer.drain(false)
    expect(lines).toHaveLength(1)
  })
})

describe('progress of a long --read', () => {
  it('says how far, how many packets and calls, redrawing one line at most every interval', () => {
    const text = progressText('big.pcap', {packets: 1_402_311, bytes: 0, truncated: 0, queueDrops: 0, filtered: 0, fileBytesRead: 356e6, fileSize: 789e6}, 450_112, 12_345)
    expect(text).toBe('reading big.pcap: 45% of 789 MB, 1,402,311 packets, 450,112 calls, 12.3 s')
    const written: string[] = []
    const time = new ManualClock()
    const p = new ProgressLine((s) => written.push(s), 250, time)
    p.update(() => 'one')
    time.set(100)
    p.update(() => 'two')
    time.set(300)
    p.update(() => 'three')
    p.clear()
    expect(written).toEqual(['\r\u001B[Kone', '\r\u001B[Kthree', '\r\u001B[K'])
  })
})
