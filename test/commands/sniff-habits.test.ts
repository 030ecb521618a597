// tcpdump's and tshark's habits in rpcdiag sniff, through the built CLI on the
// pcap fixtures (and live on lo for the capture filter typed as words):
// trailing filter words, -n, -Y, -T fields / -e / -E, --format, -q, rolled-up
// findings, --fail-on and output that fits the terminal.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import stringWidth from 'string-width'
import {afterEach, beforeAll, describe, expect, it} from 'vitest'

import {encodePacket, LINKTYPE_ETHERNET} from '../../decoders/packet/index.js'
import type {TcpSegment} from '../../decoders/packet/segment.js'
import {encodePcapFile} from '../../decoders/pcap/index.js'
import {encodeFrame, ERROR_SERVICE_NOT_FOUND} from '../../decoders/tinypb/index.js'
import {Conversation} from '../sniff/reassembly/builders.js'
import {buildCli, type LongRunning, runCli, startCli} from '../rpc/helpers/cli-process.js'

const ROCKET = 'test/fixtures/pcap/rocket_fast_25calls_12346.pcap'
const REUSE = 'test/fixtures/pcap/close_wait_reuse.pcap'
const PROTO = ['--proto', 'examples/order.proto']
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-sniff-habits-'))
const ROOT = process.getuid?.() === 0

/** The built CLI, colour off, on a pipe, and no $COLUMNS unless a test sets one. */
function sniff(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(['sniff', ...args], {built: true, env: {COLUMNS: undefined, ...env}})
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '')
}

/** Lines that say one call each (they start with the time). */
function callLines(text: string): string[] {
  return lines(text).filter((l) => /^\d\d:\d\d:\d\d\.\d{6} .* Order\.makeOrder /.test(l))
}

function req(msgId: string, method = 'Order.makeOrder'): Buffer {
  return encodeFrame({msgId, methodName: method, pbData: Buffer.from('086412056170706c65', 'hex')})
}

function rep(msgId: string, extra: {errCode?: number; errInfo?: string; method?: string} = {}): Buffer {
  return encodeFrame({msgId, methodName: extra.method ?? 'Order.makeOrder', errCode: extra.errCode, errInfo: extra.errInfo, pbData: Buffer.alloc(0)})
}

/** One connection: an OK call, an error reply, and a request never answered. */
function mixedCapture(): string {
  const c = new Conversation()
  const segs: TcpSegment[] = [...c.handshake()]
  segs.push(...c.send('client', req('1')), c.ack('server'), ...c.send('server', rep('1')), c.ack('client'))
  segs.push(...c.send('client', req('2', 'Nope.x')), c.ack('server'), ...c.send('server', rep('2', {method: 'Nope.x', errCode: ERROR_SERVICE_NOT_FOUND, errInfo: 'not found service_name:[Nope]'})), c.ack('client'))
  segs.push(...c.send('client', req('3')), c.ack('server'))
  const file = join(dir, 'mixed.pcap')
  writeFileSync(file, encodePcapFile({linkType: LINKTYPE_ETHERNET}, segs.map((s) => ({tsSec: s.tsSec, tsNsec: s.tsNsec, data: encodePacket({...s, linkType: LINKTYPE_ETHERNET})}))))
  return file
}

let MIXED = ''
beforeAll(() => {
  buildCli()
  MIXED = mixedCapture()
}, 120_000)

describe('a capture filter typed after the flags, as tcpdump takes it', () => {
  it('filters a file, ANDed with --port and -f; -n is accepted', async () => {
    const all = await sniff(['-r', ROCKET, '-n', '-q', 'tcp', 'port', '12346'])
    expect(all.code, all.stderr).toBe(0)
    expect(all.stdout).toContain('Frames: 25 requests, 25 responses, 25 paired')
    const none = await sniff(['-r', ROCKET, '-q', 'tcp', 'port', '9'])
    expect(none.stdout).toContain('no TinyPB requests seen')
    // -f alone would keep all 25; the words AND with it.
    const anded = await sniff(['-r', ROCKET, '-q', '-f', 'tcp port 12346', 'src', 'port', '50346'])
    expect(anded.stdout).toContain('Frames: 1 requests, 0 responses')
    // Repeated words keep their order (oclif's argv would give "tcp port port 12346 and src 50346").
    const repeated = await sniff(['-r', ROCKET, '-q', 'tcp', 'port', '12346', 'and', 'src', 'port', '50346'])
    expect(repeated.code, repeated.stderr).toBe(0)
    expect(repeated.stdout).toContain('Frames: 1 requests, 0 responses')
    const withPort = await sniff(['-r', ROCKET, '-q', '--port', '12346', 'port', '9'])
    expect(withPort.stdout).toContain('no TinyPB requests seen')
  })

  it('a stray word is a filter that does not compile: one line, the words named, exit 2', async () => {
    const r = await sniff(['-r', ROCKET, 'verbos'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(lines(r.stderr)[0]).toMatch(/^rpcdiag: invalid capture filter "tcp and \(verbos\)".* \[BAD_FILTER\]$/)
    expect(lines(r.stderr)[1]).toBe('hint: the words after the flags (verbos) are read as a capture filter, as tcpdump reads them; see rpcdiag sniff --help')
    expect(lines(r.stderr)).toHaveLength(2)
  })

  it('a word like a flag is an unknown flag, not a filter', async () => {
    const r = await sniff(['-r', ROCKET, '--fitler', 'port 1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^rpcdiag: unknown flag --fitler \[BAD_FLAGS\]/)
  })
})

describe.skipIf(!ROOT)('live on lo (needs root)', () => {
  const running: LongRunning[] = []
  afterEach(async () => {
    for (const p of running.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
      await p.exited
    }
  })

  async function serve(): Promise<number> {
    const p = startCli(['serve', ...PROTO, '--port', '0', '--responses', 'examples/order-responses.json'], {built: true})
    running.push(p)
    return Number((await p.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 'stderr'))[1])
  }

  async function call(port: number): Promise<void> {
    const r = await runCli(['call', 'Order.makeOrder', ...PROTO, '--addr', `127.0.0.1:${port}`, '-d', '{"price":100,"goods":"apple"}'], {built: true})
    expect(r.code, r.stderr).toBe(0)
  }

  it('rpcdiag sniff -i lo tcp port P sees P and not another server', async () => {
    const [wanted, other] = [await serve(), await serve()]
    const s = startCli(['sniff', '-i', 'lo', '-n', '--backend', 'tcpdump', '--json', 'tcp', 'port', String(wanted)], {built: true})
    running.push(s)
    await s.waitFor(new RegExp(`capturing on lo.*, filter "tcp and \\(tcp port ${wanted}\\)"`), 'stderr')
    // The other server's call first: were it captured, its transaction would print before the wanted one.
    await call(other)
    await call(wanted)
    await s.waitFor(/"type":"transaction"/)
    s.child.kill('SIGINT')
    const end = await s.exited
    expect(end.code, end.stderr).toBe(0)
    const events = lines(end.stdout).map((l) => JSON.parse(l) as Record<string, any>)
    const txs = events.filter((e) => e.type === 'transaction')
    expect(txs.map((t) => t.server)).toEqual([`127.0.0.1:${wanted}`])
    expect(events.at(-1)).toMatchObject({type: 'summary', requests: 1, paired: 1})
  }, 60_000)
})

describe('-Y: a display filter over calls', () => {
  it('shows the calls it matches; the summary still counts every call and says how many matched', async () => {
    const r = await sniff(['-r', ROCKET, '-Y', 'latency > 1ms && method == "Order.makeOrder"'])
    expect(r.code, r.stderr).toBe(0)
    const shown = callLines(r.stdout)
    expect(shown).toHaveLength(8)
    for (const l of shown) expect(Number(/ (\d+\.\d{3}) ms OK$/.exec(l)![1])).toBeGreaterThan(1)
    expect(r.stdout).toContain('Frames: 25 requests, 25 responses, 25 paired')
    expect(r.stdout).toContain('Display filter: 8 of 25 calls matched -Y "latency > 1ms && method == \\"Order.makeOrder\\""')
  })

  it('--json -Y: the matching calls, and the summary says how many of how many', async () => {
    const r = await sniff(['-r', ROCKET, '--json', '-Y', 'latency > 1ms'])
    const objs = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, any>)
    expect(objs.filter((o) => o.type === 'transaction')).toHaveLength(8)
    expect(objs.at(-1)).toMatchObject({type: 'summary', requests: 25, displayFilter: {text: 'latency > 1ms', matched: 8, seen: 25}})
  })

  it('reads msg_id as text, states bare or quoted, not/!, contains and matches', async () => {
    const one = await sniff(['-r', ROCKET, '-Y', 'msg_id == 47540503508945585041'])
    expect(callLines(one.stdout)).toHaveLength(1)
    expect(callLines(one.stdout)[0]).toContain('#47540503508945585041')
    const json = async (expr: string) => lines((await sniff(['-r', MIXED, '--json', '-Y', expr])).stdout).map((l) => JSON.parse(l) as Record<string, any>).filter((e) => e.type !== 'summary')
    expect((await json('state == unanswered')).map((e) => e.type)).toEqual(['unanswered'])
    expect((await json('state == "error"')).map((e) => e.errName)).toEqual(['ERROR_SERVICE_NOT_FOUND'])
    expect((await json('err_code != 0 || state == unanswered')).map((e) => e.msgId)).toEqual(['2', '3'])
    expect((await json('not state == ok')).map((e) => e.msgId)).toEqual(['2', '3'])
    expect((await json('!(service == "Order")')).map((e) => e.msgId)).toEqual(['2'])
    expect((await json('method contains "Nope"')).map((e) => e.msgId)).toEqual(['2'])
    expect((await json('err_info matches "service_name:\\\\[N"')).map((e) => e.msgId)).toEqual(['2'])
    // A field the call lacks compares false either way: the unanswered call has no latency.
    expect((await json('latency >= 0 || latency < 0')).map((e) => e.msgId)).toEqual(['1', '2'])
    expect((await json('err_name')).map((e) => e.msgId)).toEqual(['2'])
    expect((await json('client.port == 50346 and server == "127.0.0.1:12346" and req.size > 45')).map((e) => e.msgId)).toEqual(['1', '3'])
  })

  it('filters on decoded payload fields by name with --proto', async () => {
    const r = await sniff(['-r', ROCKET, ...PROTO, '-Y', 'req.price > 50 && resp.order_id == "20230514"', '-T', 'fields', '-e', 'req.price'])
    expect(r.code, r.stderr).toBe(0)
    const prices = lines(r.stdout).map(Number)
    expect(prices.length).toBeGreaterThan(0)
    expect(prices.length).toBeLessThan(25)
    for (const p of prices) expect(p).toBeGreaterThan(50)
  })

  it('a bad expression: one line pointing at the column, exit 2, nothing captured', async () => {
    const cases: Array<[string, RegExp]> = [
      ['latency > 5ms && & x', /^rpcdiag: -Y: expected expression after && at column 18 \[BAD_DISPLAY_FILTER\]$/],
      ['metod == "x"', /^rpcdiag: -Y: unknown field "metod" at column 1 \(did you mean method\?\) \[BAD_DISPLAY_FILTER\]$/],
      ['state == finished', /^rpcdiag: -Y: no state "finished": states are ok, error, unanswered, duplicate, uncertain, orphan at column 10 \[BAD_DISPLAY_FILTER\]$/],
      ['latency > "slow"', /^rpcdiag: -Y: latency is a duration: .* at column 11 \[BAD_DISPLAY_FILTER\]$/],
      ['req.price > 100', /^rpcdiag: -Y: req\.price is a payload field at column 1 \(payload fields need --proto.*\) \[BAD_DISPLAY_FILTER\]$/],
      ['method = "x"', /^rpcdiag: -Y: .* at column \d+ \[BAD_DISPLAY_FILTER\]$/],
    ]
    for (const [expr, want] of cases) {
      const r = await sniff(['-r', ROCKET, '-Y', expr])
      expect(r.code, expr).toBe(2)
      expect(r.stdout, expr).toBe('')
      expect(lines(r.stderr)[0], expr).toMatch(want)
      expect(r.stderr, expr).not.toMatch(/\n\s+at /)
    }
  })
})

describe('field output: -T fields, -e, -E and --format', () => {
  it('-T fields -e ... -E separator=, -E header=y -E quote=d, times as in --json', async () => {
    const r = await sniff(['-r', ROCKET, '-T', 'fields', '-e', 'time', '-e', 'method', '-e', 'latency', '-E', 'separator=,', '-E', 'header=y', '-E', 'quote=d'])
    expect(r.code, r.stderr).toBe(0)
    const rows = lines(r.stdout)
    expect(rows[0]).toBe('"time","method","latency"')
    expect(rows).toHaveLength(26)
    expect(rows[1]).toBe('"1795488502.960779","Order.makeOrder","1.018"')
    // The summary goes to stderr: stdout stays rows.
    expect(r.stderr).toContain('Frames: 25 requests')
    const json = lines((await sniff(['-r', ROCKET, '--json'])).stdout).map((l) => JSON.parse(l) as Record<string, any>)
    expect(Number(rows[1].split(',')[0].replaceAll('"', ''))).toBe(json[0].ts)
  })

  it('-T fields as tshark lays it out: tabs, no header', async () => {
    const r = await sniff(['-r', ROCKET, '-T', 'fields', '-e', 'msg_id', '-e', 'state', '--no-summary'])
    expect(lines(r.stdout)[0]).toBe('47540503508945585041\tok')
    expect(r.stderr).toBe('')
  })

  it('--format csv: a header, RFC 4180 quoting; tsv: tabs; ndjson: as --json', async () => {
    const csv = await sniff(['-r', MIXED, '--format', 'csv', '-e', 'msg_id,state,err_info,latency'])
    expect(lines(csv.stdout)).toEqual(['msg_id,state,err_info,latency', expect.stringMatching(/^1,ok,,\d+\.?\d*$/), expect.stringMatching(/^2,error,not found service_name:\[Nope\],/), '3,unanswered,,'])
    const quoted = await sniff(['-r', MIXED, '--format', 'csv', '-e', 'msg_id', '-E', 'separator=:', '-e', 'client'])
    expect(lines(quoted.stdout)[1]).toBe('1:"127.0.0.1:50346"')
    const tsv = await sniff(['-r', ROCKET, '--format', 'tsv'])
    expect(lines(tsv.stdout)[0]).toBe('time\tconn\tclient\tserver\tmethod\tmsg_id\tstate\tlatency\treq.size\tresp.size\terr_code\terr_name')
    const nd = await sniff(['-r', ROCKET, '--format', 'ndjson'])
    const js = await sniff(['-r', ROCKET, '--json'])
    expect(nd.stdout).toBe(js.stdout)
  })

  it('an unknown -e or -E fails before capturing, with a did-you-mean', async () => {
    const e = await sniff(['-r', ROCKET, '-T', 'fields', '-e', 'latncy'])
    expect(e.code).toBe(2)
    expect(e.stderr).toMatch(/^rpcdiag: -e: unknown field "latncy" \(did you mean latency\?\) \[BAD_FIELD\]/)
    const o = await sniff(['-r', ROCKET, '-T', 'fields', '-e', 'time', '-E', 'bogus=1'])
    expect(o.code).toBe(2)
    expect(o.stderr).toMatch(/^rpcdiag: -E bogus=1: options are header, separator, quote and aggregator \[BAD_FLAGS\]/)
    const t = await sniff(['-r', ROCKET, '-e', 'time'])
    expect(t.code).toBe(2)
  })
})

describe('-q, --metrics-only', () => {
  it('-q prints the summary alone', async () => {
    const r = await sniff(['-r', ROCKET, '-q'])
    expect(r.code).toBe(0)
    expect(callLines(r.stdout)).toEqual([])
    expect(lines(r.stdout)[0]).toBe('='.repeat(80))
    expect(r.stdout).toContain('Frames: 25 requests')
  })

  it('--metrics-only needs --metrics (it is the agent mode: nothing printed at all)', async () => {
    const r = await sniff(['-r', ROCKET, '--metrics-only'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/metrics/)
  })
})

describe('repeated findings roll up', () => {
  it('text: the first SERVER_NO_FIN printed, the rest counted in the summary; -v and --json keep all', async () => {
    const r = await sniff(['-r', REUSE])
    const warned = lines(r.stdout).filter((l) => l.includes('WARNING SERVER_NO_FIN'))
    expect(warned).toHaveLength(1)
    expect(r.stdout).toContain('  SERVER_NO_FIN ×3 on 127.0.0.1:12351, and 2 more like it')
    expect(r.stdout).toMatch(/\n {4}first \d\d:\d\d:\d\d\.\d{6}: the server never closed its side/)
    const v = await sniff(['-r', REUSE, '-v'])
    expect(lines(v.stdout).filter((l) => l.includes('WARNING SERVER_NO_FIN'))).toHaveLength(3)
    expect(v.stdout).toContain('  SERVER_NO_FIN ×3 on 127.0.0.1:12351\n')
    const j = await sniff(['-r', REUSE, '--json'])
    expect(lines(j.stdout).filter((l) => l.includes('"code":"SERVER_NO_FIN"'))).toHaveLength(3)
  })
})

describe('--fail-on', () => {
  it('exits 4 after the summary when the capture shows a kind asked for', async () => {
    const r = await sniff(['-r', MIXED, '--fail-on', 'unanswered,error'])
    expect(r.code).toBe(4)
    expect(r.stdout).toContain('Frames: 3 requests')
    expect(lines(r.stderr)).toEqual(['rpcdiag: --fail-on: the capture showed 1 unanswered, 1 error [FAIL_ON]'])
  })

  it('exits 0 when none is seen, counts calls as -Y shows them, and rejects an unknown kind', async () => {
    expect((await sniff(['-r', ROCKET, '-q', '--fail-on', 'any'])).code).toBe(0)
    expect((await sniff(['-r', MIXED, '-q', '--fail-on', 'duplicate,uncertain,malformed,peer-safety'])).code).toBe(0)
    expect((await sniff(['-r', MIXED, '-q', '-Y', 'state == ok', '--fail-on', 'unanswered'])).code).toBe(0)
    const bad = await sniff(['-r', MIXED, '--fail-on', 'slow'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^rpcdiag: --fail-on: no kind "slow"; kinds: unanswered, error, malformed, duplicate, uncertain, peer-safety, any \[BAD_FLAGS\]/)
  })
})

describe('output that fits the terminal', () => {
  it('at COLUMNS=80 no line is wider than 80; on a pipe without COLUMNS lines are whole', async () => {
    for (const file of [ROCKET, REUSE, MIXED]) {
      const narrow = await sniff(['-r', file, '-v'], {COLUMNS: '80'})
      expect(narrow.code).toBe(0)
      for (const l of lines(narrow.stdout)) expect(stringWidth(l), l).toBeLessThanOrEqual(80)
    }
    const narrow = await sniff(['-r', ROCKET], {COLUMNS: '80'})
    // The call keeps its time, method, latency and status; the msg_id gives up its middle.
    expect(callLines(narrow.stdout)[0]).toMatch(/^02:48:22\.960779 .* Order\.makeOrder #\d+…\d+ 71B\/71B 1\.018 ms OK$/)
    const full = await sniff(['-r', ROCKET])
    expect(callLines(full.stdout)[0]).toBe('02:48:22.960779 127.0.0.1:50346 -> 127.0.0.1:12346 Order.makeOrder #47540503508945585041 71B/71B 1.018 ms OK')
    expect(full.stdout).not.toContain('…')
  })
})
