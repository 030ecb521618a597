// rpcdiag sniff --read: real pcap and pcapng files (the rocket fixture, and
// files built here from scripted TCP conversations) through the command.
import {execFileSync, spawn} from 'node:child_process'
import {once} from 'node:events'
import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import Sniff from '../../commands/sniff.js'
import {encodePacket, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NULL, LINKTYPE_RAW} from '../../decoders/packet/index.js'
import type {TcpSegment} from '../../decoders/packet/segment.js'
import {encodePcapFile, encodePcapNgFile} from '../../decoders/pcap/index.js'
import {encodeFrame, ERROR_SERVICE_NOT_FOUND} from '../../decoders/tinypb/index.js'
import {Conversation} from '../sniff/reassembly/builders.js'
import {MAKE_ORDER_REPLY, MAKE_ORDER_REQUEST} from '../fixtures/tinypb-frames.js'
import {runCli} from '../rpc/helpers/cli-process.js'
import {runCommand} from '../rpc/helpers/run-command.js'
import {sniffJson} from './sniff-json.js'

const FIXTURE = 'test/fixtures/pcap/rocket_fast_25calls_12346.pcap'
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-sniff-'))
let files = 0

/** A pcap (or pcapng) file of the segments, on the given link type. */
function pcapOf(segments: TcpSegment[], opts: {linkType?: number; pcapng?: boolean; nanoseconds?: boolean} = {}): string {
  const linkType = opts.linkType ?? LINKTYPE_ETHERNET
  const packets = segments.map((s) => ({tsSec: s.tsSec, tsNsec: s.tsNsec, data: encodePacket({...s, linkType})}))
  const file = join(dir, `capture-${files++}.${opts.pcapng ? 'pcapng' : 'pcap'}`)
  const bytes = opts.pcapng
    ? encodePcapNgFile({interfaces: [{linkType, tsresol: 9}], packets})
    : encodePcapFile({linkType, nanoseconds: opts.nanoseconds}, packets)
  writeFileSync(file, bytes)
  return file
}

function req(msgId: string, method = 'Order.makeOrder'): Buffer {
  return encodeFrame({msgId, methodName: method, pbData: Buffer.from('086412056170706c65', 'hex')})
}

function rep(msgId: string, extra: {errCode?: number; errInfo?: string} = {}): Buffer {
  return encodeFrame({msgId, methodName: 'Order.makeOrder', ...extra, pbData: extra.errCode ? Buffer.alloc(0) : Buffer.from('1a083230323330353134', 'hex')})
}

/** Handshake, n calls in sequence on one connection, both FINs. */
function calls(conv: Conversation, n: number, opts: {mss?: number} = {}): TcpSegment[] {
  const out = conv.handshake()
  for (let i = 1; i <= n; i++) {
    out.push(...conv.send('client', req(String(i).padStart(20, '0')), opts), conv.ack('server'))
    out.push(...conv.send('server', rep(String(i).padStart(20, '0')), opts), conv.ack('client'))
  }
  out.push(conv.fin('client'), conv.fin('server'), conv.ack('client'))
  return out
}

describe('the rocket capture (tcpdump, 25 makeOrder calls, one connection each)', () => {
  it('pairs all 25 and counts them in the summary', async () => {
    const {summary, of} = await sniffJson(['--read', FIXTURE])
    expect(summary).toMatchObject({
      requests: 25,
      responses: 25,
      paired: 25,
      unanswered: 0,
      duplicateResponses: 0,
      orphanResponses: 0,
      errorResponses: 0,
      malformedFrames: 0,
      connections: 25,
      gaps: 0,
      packets: 225,
    })
    expect(summary.methods['Order.makeOrder']).toMatchObject({count: 25, errors: 0})
    for (const k of ['p50', 'p90', 'p99', 'max']) expect(summary.methods['Order.makeOrder'][k]).toBeGreaterThan(0)
    const txs = of('transaction')
    expect(txs).toHaveLength(25)
    expect(new Set(txs.map((t) => t.server))).toEqual(new Set(['127.0.0.1:12346']))
    // rocket never closes, but the capture is 0.83 s long: no FIN waited the 5 s --timeout, so none is blamed yet.
    expect(summary.serverNoFin).toBe(0)
    expect(of('warning').filter((w) => w.code === 'SERVER_NO_FIN')).toHaveLength(0)
  })

  it('blames the server for every connection it left open longer than --timeout after the client FIN', async () => {
    const {summary, of} = await sniffJson(['--read', FIXTURE, '--timeout', '100'])
    // rocket never closes: all 25 connections stay in CLOSE_WAIT on the server. The client's FINs
    // of the first 23 came 823 to 107 ms before the capture ended; the last two's only 76 and 44 ms
    // before, too soon to tell a server that never closes from one about to.
    expect(summary.serverNoFin).toBe(23)
    const warned = of('warning').filter((w) => w.code === 'SERVER_NO_FIN')
    expect(warned.map((w) => w.client)).not.toContain('127.0.0.1:50550')
    expect(warned.map((w) => w.client)).not.toContain('127.0.0.1:50558')
    expect(warned).toHaveLength(23)
  })

  it('decodes every reply with the .proto: order_id "20230514"', async () => {
    const {of} = await sniffJson(['--read', FIXTURE, '--proto', 'examples/order.proto', '-v'])
    const txs = of('transaction')
    expect(txs.map((t) => t.response.payload.json.order_id)).toEqual(Array(25).fill('20230514'))
    expect(txs[0].request.payload).toMatchObject({schema: 'proto', type: 'makeOrderRequest'})
  })

  it('prints a line per call and the SRT table for humans, without colour when not a TTY', async () => {
    const out = await runCommand(Sniff, ['--read', FIXTURE])
    expect(out.exitCode).toBe(0)
    const lines = out.stdout.split('\n')
    const calls = lines.filter((l) => / Order\.makeOrder #\d{20} 7\dB\/7\dB [\d.]+ ms OK$/.test(l))
    expect(calls).toHaveLength(25)
    expect(calls[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{6} 127\.0\.0\.1:50346 -> 127\.0\.0\.1:12346 /)
    expect(out.stdout).toMatch(/^Order\.makeOrder\s+25\s+25\s+0\s+0\s/m)
    expect(out.stdout).not.toContain('left open by the server')
    const short = await runCommand(Sniff, ['--read', FIXTURE, '--timeout', '100'])
    expect(short.stdout).toContain("23 left open by the server after the client's FIN")
    expect(out.stdout).not.toMatch(/\u001B\[/)
  })

  it('adds a response-time histogram of all 25 calls with --histogram', async () => {
    const out = await runCommand(Sniff, ['--read', FIXTURE, '--histogram'])
    const lines = out.stdout.split('\n')
    const at = lines.indexOf('Response time histogram:')
    expect(at).toBeGreaterThan(0)
    const bars = lines.slice(at + 1).filter((l) => /^\s+[\d.]+ ms \[\d+\]/.test(l))
    expect(bars).toHaveLength(10)
    expect(bars.reduce((n, l) => n + Number(/\[(\d+)\]/.exec(l)![1]), 0)).toBe(25)
  })

  it('reads the capture from stdin with --read -', async () => {
    // The bytes as they are (the shared helper sends text): a real pipe into a real process.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/rpc/helpers/cli.ts', 'sniff', '--read', '-', '--json'], {stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stdin.end(readFileSync(FIXTURE))
    const [code] = await once(child, 'close')
    expect(code).toBe(0)
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!)
    expect(summary).toMatchObject({paired: 25, connections: 25})
  })
})

describe('captures built here', () => {
  it('reads every link layer and file format the same', async () => {
    const conv = () => new Conversation()
    const variants: Array<[string, {linkType?: number; pcapng?: boolean; nanoseconds?: boolean}]> = [
      ['ethernet pcap', {}],
      ['nanosecond pcap', {nanoseconds: true}],
      ['pcapng', {pcapng: true}],
      ['Linux SLL', {linkType: LINKTYPE_LINUX_SLL}],
      ['Linux SLL2', {linkType: LINKTYPE_LINUX_SLL2}],
      ['BSD loopback', {linkType: LINKTYPE_NULL}],
      ['raw IP', {linkType: LINKTYPE_RAW}],
    ]
    for (const [name, opts] of variants) {
      const {summary, of} = await sniffJson(['--read', pcapOf(calls(conv(), 3), opts)])
      expect(summary, name).toMatchObject({requests: 3, paired: 3, connections: 1, serverNoFin: 0})
      expect(of('transaction')[0].latencyMs, name).toBeCloseTo(0.2, 6)
    }
  })

  it('follows IPv6 connections', async () => {
    const conv = new Conversation({host: 'fd00::1', port: 40_001}, {host: 'fd00::2', port: 12_345})
    const {summary, of} = await sniffJson(['--read', pcapOf(calls(conv, 2))])
    expect(summary.paired).toBe(2)
    expect(of('transaction')[0]).toMatchObject({client: '[fd00::1]:40001', server: '[fd00::2]:12345'})
  })

  it('reassembles reordered, retransmitted and overlapping segments, one frame over many segments', async () => {
    const conv = new Conversation()
    const hs = conv.handshake()
    const pieces = conv.send('client', Buffer.concat([req('1'), req('2')]), {mss: 7})
    const shuffled = [...pieces].reverse()
    // A retransmit of the first piece, and an overlapping copy of pieces 2-3.
    const overlap = {...pieces[1], payload: Buffer.concat([pieces[1].payload, pieces[2].payload])}
    const replies = conv.send('server', Buffer.concat([rep('1'), rep('2')]))
    const {summary} = await sniffJson(['--read', pcapOf([...hs, ...shuffled, pieces[0], overlap, ...replies])])
    expect(summary).toMatchObject({requests: 2, paired: 2, malformedFrames: 0, gaps: 0})
    expect(summary.outOfOrder).toBeGreaterThan(0)
    expect(summary.retransmits).toBeGreaterThan(0)
  })

  it('decodes several frames in one segment, across the 32-bit sequence wrap', async () => {
    const conv = new Conversation(undefined, undefined, {client: 2 ** 32 - 30, server: 2 ** 32 - 100})
    const segs = [...conv.handshake(), ...conv.send('client', Buffer.concat([req('1'), req('2'), req('3')])), ...conv.send('server', Buffer.concat([rep('1'), rep('2'), rep('3')]))]
    const {summary} = await sniffJson(['--read', pcapOf(segs)])
    expect(summary).toMatchObject({requests: 3, paired: 3, gaps: 0})
  })

  it('reports a lost segment as a gap, the call it touched as uncertain, and resyncs on the next frame', async () => {
    const conv = new Conversation()
    const segs = calls(conv, 3)
    // The first reply's segment (handshake 3, request 1 + ACK: index 5) never made it into the capture.
    const {summary, of} = await sniffJson(['--read', pcapOf(segs.filter((_, i) => i !== 5))])
    expect(of('gap')[0]).toMatchObject({from: 'server', missing: rep('00000000000000000001').length, cause: 'lost'})
    expect(summary).toMatchObject({gaps: 1, paired: 2, unanswered: 0, uncertain: 1, uncertainBy: {gap: 1}})
    expect(of('uncertain')[0]).toMatchObject({reason: 'gap', msgId: '00000000000000000001', method: 'Order.makeOrder', request: {size: 70}})
    expect(of('unanswered')).toEqual([])
  })

  it('starts mid-connection: the first partial frame is skipped, the server found by who answers', async () => {
    const conv = new Conversation({host: '10.0.0.1', port: 50_000}, {host: '10.0.0.2', port: 40_000})
    const segs = calls(conv, 3, {mss: 30})
    // Drop the handshake and the first 2 segments of the first request.
    const {summary, of} = await sniffJson(['--read', pcapOf(segs.slice(5))])
    expect(summary).toMatchObject({requests: 2, paired: 2, orphanResponses: 1, malformedFrames: 0})
    expect(of('orphan-response')[0].note).toMatch(/capture started after the connection/)
    expect(summary.skippedBytes).toBeGreaterThan(0)
    expect(of('transaction')[0]).toMatchObject({client: '10.0.0.1:50000', server: '10.0.0.2:40000'})
    expect(of('warning').map((w) => w.code)).toContain('RESYNC')
  })

  it('flags err_code != 0 with its name and exits 0 (sniff reports, it does not fail)', async () => {
    const conv = new Conversation()
    const segs = [...conv.handshake(), ...conv.send('client', req('1', 'Nope.x')), ...conv.send('server', rep('1', {errCode: ERROR_SERVICE_NOT_FOUND, errInfo: 'not found service_name:[Nope]'}))]
    const {summary, of} = await sniffJson(['--read', pcapOf(segs)])
    expect(of('transaction')[0]).toMatchObject({status: 'error', errCode: 10_000_008, errName: 'ERROR_SERVICE_NOT_FOUND', errInfo: 'not found service_name:[Nope]'})
    expect(summary.errorResponses).toBe(1)
  })

  it('uses --port for the server side even when the capture starts mid-stream', async () => {
    const conv = new Conversation({host: '10.0.0.1', port: 50_000}, {host: '10.0.0.2', port: 40_000})
    conv.handshake()
    const segs = [...conv.send('client', MAKE_ORDER_REQUEST), ...conv.send('server', MAKE_ORDER_REPLY)]
    const {of} = await sniffJson(['--read', pcapOf(segs), '--port', '40000'])
    expect(of('transaction')[0]).toMatchObject({client: '10.0.0.1:50000', server: '10.0.0.2:40000'})
  })

  it('uses a --port range of any size for the server side', async () => {
    // Requests only, mid-stream, from a low port to an ephemeral one: without --port the low port looks like the server.
    const conv = new Conversation({host: '10.0.0.1', port: 8080}, {host: '10.0.0.2', port: 40_000})
    conv.handshake()
    const segs = [...conv.send('client', req('1')), ...conv.send('client', req('2'))]
    for (const range of ['39000-41000', '1-65535']) {
      const {of, summary} = await sniffJson(['--read', pcapOf(segs), '--port', range])
      expect(summary, range).toMatchObject({requests: 2, orphanResponses: 0})
      expect(of('unanswered')[0], range).toMatchObject({client: '10.0.0.1:8080', server: '10.0.0.2:40000'})
    }
  })

  it('takes -p as a comma-separated list, like sockets -p: 12346,12347', async () => {
    // Two mid-stream conversations from low client ports: only --port tells the servers.
    const a = new Conversation({host: '10.0.0.1', port: 8080}, {host: '10.0.0.2', port: 12_346})
    const b = new Conversation({host: '10.0.0.1', port: 8081}, {host: '10.0.0.3', port: 12_347})
    a.handshake()
    b.handshake()
    const segs = [...a.send('client', req('1')), ...b.send('client', req('2'))]
    for (const args of [['-p', '12346,12347'], ['-p', '12346', '-p', '12347'], ['--port', '12346,12347']]) {
      const {of, summary} = await sniffJson(['-r', pcapOf(segs), ...args])
      expect(summary, args.join(' ')).toMatchObject({requests: 2, orphanResponses: 0})
      expect(new Set(of('unanswered').map((u) => u.server)), args.join(' ')).toEqual(new Set(['10.0.0.2:12346', '10.0.0.3:12347']))
    }
    const bad = await runCommand(Sniff, ['-r', pcapOf(segs), '-p', '12346,99999'])
    expect(bad.exitCode).toBe(2)
    expect(bad.error?.message).toMatch(/invalid port "99999"/)
  })

  it('shows the frames in hex with -x', async () => {
    const out = await runCommand(Sniff, ['--read', pcapOf(calls(new Conversation(), 1)), '-x'])
    expect(out.stdout).toContain('0000  02 00 00 00 46 00 00 00  14 30 30 30 30 30 30 30  ....F....0000000')
  })

  it('stops after -c packets', async () => {
    // Handshake, request, ACK: the reply (packet 6) is not read.
    const {summary} = await sniffJson(['--read', pcapOf(calls(new Conversation(), 3)), '-c', '5'])
    expect(summary).toMatchObject({packets: 5, requests: 1, paired: 0, unanswered: 1})
  })

  it('writes what it read with -w: mode 0600, and tcpdump reads it', async () => {
    const src = pcapOf(calls(new Conversation(), 2))
    const out = join(dir, 'written.pcap')
    await sniffJson(['--read', src, '-w', out])
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const listed = execFileSync('tcpdump', ['-nr', out], {stdio: ['ignore', 'pipe', 'ignore']}).toString().trim().split('\n')
    expect(listed).toHaveLength(calls(new Conversation(), 2).length)
  })
})

describe('terminal safety', () => {
  /** What a terminal would act on: C0 (but LF) and C1 controls, DEL, bidi overrides and isolates. */
  const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

  it('escapes control characters from the wire in every human line, and keeps them in --json', async () => {
    const evil = '\u001b[2J\u001b[31mOrder.makeOrder'
    const evilId = '1\u009b2J\r3'
    const conv = new Conversation()
    const reply = encodeFrame({msgId: evilId, methodName: evil, errCode: ERROR_SERVICE_NOT_FOUND, errInfo: 'not found \u202eredrO\u0007'})
    const segs = [
      ...conv.handshake(),
      ...conv.send('client', req(evilId, evil)),
      ...conv.send('server', reply),
      // The same reply again (a duplicate), a reply to nothing, and a request never answered.
      ...conv.send('server', reply),
      ...conv.send('server', encodeFrame({msgId: 'x\u001b]0;title\u0007', methodName: evil})),
      ...conv.send('client', req('2', 'no\u001bdot')),
    ]
    const file = pcapOf(segs)
    const out = await runCommand(Sniff, ['--read', file, '--frames', '-v'])
    expect(out.exitCode).toBe(0)
    const lines = out.stdout.split('\n')
    for (const l of lines) expect(l, JSON.stringify(l)).not.toMatch(ACTIVE)
    expect(out.stdout).toContain('\\x1b[2J\\x1b[31mOrder.makeOrder #1\\x9b2J\\r3')
    expect(out.stdout).toContain('\\u{202e}redrO')
    expect(out.stdout).toMatch(/REPLY WITHOUT REQUEST/)
    expect(out.stdout).toMatch(/DUPLICATE REPLY/)
    expect(out.stdout).toContain('method_name "no\\x1bdot" has no "Service.method" dot')
    // JSON escapes what JSON needs; the values are the wire's own.
    const {of} = await sniffJson(['--read', file])
    expect(of('transaction')[0]).toMatchObject({method: evil, msgId: evilId, errInfo: 'not found \u202eredrO\u0007'})
  })
})

describe('other views', () => {
  it('reports each frame with --frames, besides the call', async () => {
    const {of} = await sniffJson(['--read', pcapOf(calls(new Conversation(), 1)), '--frames'])
    expect(of('frame').map((f) => [f.role, f.size])).toEqual([
      ['request', 70],
      ['response', 71],
    ])
    expect(of('transaction')).toHaveLength(1)
  })

  it('shows string-protocol chunks (auto-detected) as text', async () => {
    const conv = new Conversation()
    const segs = [...conv.handshake(), ...conv.send('client', Buffer.from('hello rocket')), ...conv.send('server', Buffer.from('hello rocket'))]
    const out = await runCommand(Sniff, ['--read', pcapOf(segs)])
    expect(out.stdout).toMatch(/127\.0\.0\.1:50346 -> 127\.0\.0\.1:12346 > 12B "hello rocket"\n.* < 12B "hello rocket"/)
    expect(out.stdout).toContain('2 string-protocol chunks')
  })

  it('lists the capture interfaces, lo among them', async () => {
    const out = await runCommand(Sniff, ['--list-interfaces', '--json'])
    expect(out.exitCode).toBe(0)
    const names = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((d) => d.name)
    expect(names).toContain('lo')
  })
})

describe('bad input', () => {
  it('says what is wrong with a file that is not a capture, and exits 2', async () => {
    const file = join(dir, 'not-a-capture.txt')
    writeFileSync(file, 'hello, world\n')
    const out = await runCommand(Sniff, ['--read', file])
    expect(out.exitCode).toBe(2)
    expect(out.error?.message).toMatch(/not a pcap or pcapng file/)
  })

  it('names the supported link layers for one it cannot decode', async () => {
    const file = join(dir, 'usb.pcap')
    writeFileSync(file, encodePcapFile({linkType: 189}, [{tsSec: 1, tsNsec: 0, data: Buffer.alloc(40)}]))
    const out = await runCommand(Sniff, ['--read', file])
    expect(out.exitCode).toBe(2)
    expect(out.error?.message).toMatch(/link type 189 .* is not supported: rpcdiag decodes Ethernet/)
  })

  it('refuses a file that does not exist, without a stack trace', async () => {
    const r = await runCli(['sniff', '--read', join(dir, 'missing.pcap')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/missing\.pcap/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
