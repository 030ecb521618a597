// The generated dissector in the real tshark: it loads without Lua errors
// (tshark prints them on stderr), display filters work as the issue promises
// (tinypb.time like Wireshark's RPC dissectors, pbf.* from the .proto), and
// the columns read like rpcdiag's lines.

import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import Wireshark from '../../commands/wireshark.js'
import {loadSchema} from '../../src/rpc/proto/load.js'
import {type InstallGuide, tsharkProtoArgs} from '../../src/wireshark/index.js'
import {encodePacket} from '../../decoders/packet/index.js'
import {encodePcapFile} from '../../decoders/pcap/index.js'
import {encodeFrame} from '../../decoders/tinypb/index.js'
import {ROCKET_PCAP} from '../fixtures/pcap/read-capture.js'
import {Conversation} from '../sniff/reassembly/builders.js'
import {runCommand} from '../rpc/helpers/run-command.js'
import {buildFixtures, writeFixture} from './fixtures.js'
import {stripRootNotice, tshark, tsharkVersion} from './views.js'

const TSHARK = tsharkVersion()
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-tshark-'))

async function generate(args: string[], file: string): Promise<InstallGuide> {
  const out = await runCommand<InstallGuide>(Wireshark, [...args, '-o', file, '--json'])
  expect(out.exitCode, out.stderr).toBe(0)
  return out.result!
}

/** tshark's exit status and stderr (without its root notice) for a script on a capture. */
function load(lua: string, capture: string, extra: string[] = []): {status: number | null; stderr: string; stdout: string} {
  const r = spawnSync('tshark', ['-X', `lua_script:${lua}`, '-r', capture, ...extra], {encoding: 'utf8', timeout: 120_000})
  return {status: r.status, stderr: stripRootNotice(r.stderr), stdout: r.stdout}
}

function fields(lua: string, capture: string, args: string[]): string[][] {
  return tshark(['-X', `lua_script:${lua}`, '-r', capture, '-T', 'fields', '-E', 'separator=|', ...args])
    .stdout.split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('|'))
}

describe.skipIf(TSHARK === undefined)(`the generated dissector in ${TSHARK ?? 'tshark (not installed)'}`, () => {
  const plain = join(dir, 'plain.lua')
  const withProto = join(dir, 'proto.lua')
  let protoArgs: string[] = []
  let payloads = ''

  beforeAll(async () => {
    await generate([], plain)
    protoArgs = tsharkProtoArgs((await generate(['--proto', 'examples/order.proto', '--proto', 'examples/query.proto'], withProto)).searchPaths)
    const schema = loadSchema({protoFiles: ['examples/order.proto', 'examples/query.proto'], importPaths: []})
    if (!schema.ok) throw schema.error
    payloads = writeFixture(buildFixtures(schema.value).find((f) => f.name === 'payloads')!, dir)
  })

  it('loads without a Lua error, with and without a .proto', () => {
    for (const lua of [plain, withProto]) {
      const r = load(lua, ROCKET_PCAP, protoArgs)
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(r.stdout).toMatch(/TinyPB/)
    }
  })

  it('the load check sees a Lua error when there is one', () => {
    const broken = join(dir, 'broken.lua')
    writeFileSync(broken, readFileSync(plain, 'utf8').replace('local function decode_frame(s, off)', 'local function decode_frame(s, off'))
    expect(load(broken, ROCKET_PCAP).stderr).toMatch(/Lua: syntax error/)
  })

  it('loads from a .proto folder whose path has quotes, spaces and non-ASCII, and decodes with it', async () => {
    const odd = join(dir, 'we"ird dir \u00fc\'s')
    mkdirSync(odd)
    writeFileSync(join(odd, 'order.proto'), readFileSync('examples/order.proto'))
    const lua = join(dir, 'odd.lua')
    const guide = await generate(['--proto', join(odd, 'order.proto')], lua)
    expect(guide.searchPaths).toEqual([{path: odd, loadAll: true}])
    const r = load(lua, payloads, tsharkProtoArgs(guide.searchPaths))
    expect(r.stderr).toBe('')
    const prices = fields(lua, payloads, [...tsharkProtoArgs(guide.searchPaths), '-Y', 'pbf.makeOrderRequest.price', '-e', 'pbf.makeOrderRequest.price'])
    expect(prices.map((r) => r[0])).toEqual(['100', '-7', '2147483647', '100', '-7', '2147483647'])
  })

  it('tinypb.time filters responses by latency, in one pass, like the RPC dissectors', () => {
    const all = fields(plain, ROCKET_PCAP, ['-Y', 'tinypb.time > 0', '-e', 'frame.number', '-e', 'tinypb.time'])
    expect(all).toHaveLength(25)
    const slow = fields(plain, ROCKET_PCAP, ['-Y', 'tinypb.time > 0.002', '-e', 'tinypb.time'])
    expect(slow.length).toBeGreaterThan(0)
    expect(slow.length).toBeLessThan(25)
    for (const [t] of slow) expect(Number(t)).toBeGreaterThan(0.002)
  })

  it('pbf.* filters work with the .proto: pbf.makeOrderRequest.price > 50', () => {
    const rows = fields(withProto, payloads, [...protoArgs, '-Y', 'pbf.makeOrderRequest.price > 50', '-e', 'tinypb.msg_id', '-e', 'pbf.makeOrderRequest.goods'])
    expect(rows.map((r) => r[1])).toEqual(['apple', 'pear, "ripe"', 'apple', 'pear, "ripe"'])
  })

  it('the Info column reads like rpcdiag: method, request or response, #msg_id, err_code', () => {
    const rows = fields(plain, ROCKET_PCAP, ['-2', '-Y', 'tinypb', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'])
    expect(rows).toHaveLength(50)
    expect(rows[0]).toEqual(['TinyPB', expect.stringMatching(/^Order\.makeOrder request #\d{20}$/)])
    expect(rows[1]).toEqual(['TinyPB', expect.stringMatching(/^Order\.makeOrder response #\d{20} err_code 0$/)])
  })

  it('a frame whose pk_len claims more than the connection carries: TRUNCATED at the end, and the frames it hid', () => {
    // TCP keeps waiting for the claimed bytes and never hands them over; the
    // dissector shows them from its own copy at the end, as sniff does.
    const c = new Conversation({host: '127.0.0.1', port: 50_000}, {host: '127.0.0.1', port: 12_345})
    const liar = encodeFrame({msgId: '1', methodName: 'Order.makeOrder'})
    liar.writeInt32BE(5000, 1)
    const segs = [
      ...c.handshake(),
      ...c.send('client', encodeFrame({msgId: '0', methodName: 'Order.makeOrder'})),
      ...c.send('client', liar),
      ...c.send('client', encodeFrame({msgId: '2', methodName: 'Order.makeOrder'})),
      ...c.send('server', encodeFrame({msgId: '2', methodName: 'Order.makeOrder'})),
      c.fin('client'),
      c.fin('server'),
    ]
    const capture = join(dir, 'liar.pcap')
    writeFileSync(capture, encodePcapFile({linkType: 1}, segs.map((s) => ({tsSec: s.tsSec, tsNsec: s.tsNsec, data: encodePacket(s)}))))
    const rows = fields(plain, capture, ['-2', '-Y', 'tinypb', '-e', 'tinypb.msg_id', '-e', 'tinypb.error', '-e', 'tinypb.request_in'])
    expect(rows.flatMap((r) => r[0].split(',')).filter((m) => m !== '')).toEqual(['0', '2', '2'])
    expect(rows.some((r) => r[1] === 'TRUNCATED')).toBe(true)
    // The reply came before its request could be read: no request, as sniff says too.
    expect(rows.every((r) => r[2] === '')).toBe(true)
  })

  it('the second pass claims the packets the first pass claimed, and no others', () => {
    // "hello" is not claimed in the first pass; once the next packet is, Wireshark
    // sends the whole connection to the dissector, "hello" included.
    const c = new Conversation({host: '127.0.0.1', port: 50_000}, {host: '127.0.0.1', port: 23_456})
    const segs = [
      ...c.handshake(),
      ...c.send('client', Buffer.from('hello')),
      ...c.send('client', encodeFrame({msgId: '1', methodName: 'A.b'})),
      ...c.send('server', encodeFrame({msgId: '1', methodName: 'A.b'})),
    ]
    const capture = join(dir, 'hello.pcap')
    writeFileSync(capture, encodePcapFile({linkType: 1}, segs.map((s) => ({tsSec: s.tsSec, tsNsec: s.tsNsec, data: encodePacket(s)}))))
    const protocols = (passes: string[]) => fields(plain, capture, [...passes, '-Y', 'tcp.len > 0', '-e', '_ws.col.Protocol']).map((r) => r[0])
    expect(protocols([])).toEqual(['TCP', 'TinyPB', 'TinyPB'])
    expect(protocols(['-2'])).toEqual(['TCP', 'TinyPB', 'TinyPB'])
  })

  it('response_in and tinypb.unanswered need the second pass (-2)', () => {
    // One pass: a request is shown before its response is read.
    expect(fields(plain, ROCKET_PCAP, ['-Y', 'tinypb.response_in', '-e', 'frame.number'])).toHaveLength(0)
    expect(fields(plain, ROCKET_PCAP, ['-2', '-Y', 'tinypb.response_in', '-e', 'frame.number'])).toHaveLength(25)
    expect(fields(plain, ROCKET_PCAP, ['-2', '-Y', 'tinypb.unanswered', '-e', 'frame.number'])).toHaveLength(0)
  })
})
