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
import {ROCKET_PCAP} from '../fixtures/pcap/read-capture.js'
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

  it('response_in and tinypb.unanswered need the second pass (-2)', () => {
    // One pass: a request is shown before its response is read.
    expect(fields(plain, ROCKET_PCAP, ['-Y', 'tinypb.response_in', '-e', 'frame.number'])).toHaveLength(0)
    expect(fields(plain, ROCKET_PCAP, ['-2', '-Y', 'tinypb.response_in', '-e', 'frame.number'])).toHaveLength(25)
    expect(fields(plain, ROCKET_PCAP, ['-2', '-Y', 'tinypb.unanswered', '-e', 'frame.number'])).toHaveLength(0)
  })
})
