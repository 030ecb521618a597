import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'

import {describe, expect, it} from 'vitest'

import {fromSsFlags, withWatchDefault} from '../../src/cli/sockets-argv.js'
import {matchesSsExpr, parseSsFilter, parseSsHost, type SsRow} from '../../src/sockets/index.js'

// ss's filter grammar (src/sockets/ss-filter.peggy) and ss's flag bundles,
// without a socket table: what parses, what a row matches, and where an error points.

const row = (local: string, lport: number, peer: string, pport: number): SsRow => ({localAddress: local, localPort: lport, peerAddress: peer, peerPort: pport})
const server = row('127.0.0.1', 12_346, '127.0.0.1', 50_000)
const client = row('127.0.0.1', 50_000, '127.0.0.1', 12_346)
const v6 = row('::1', 12_346, '::1', 50_001)
const mapped = row('::ffff:10.1.2.3', 12_346, '::ffff:10.9.9.9', 40_000)

function matches(words: string[], r: SsRow): boolean {
  const f = parseSsFilter(words)
  if (!f.ok) throw f.error
  return f.value.expr === undefined || matchesSsExpr(r, f.value.expr)
}

describe('the generated parser', () => {
  it('is what peggy makes of the grammar today (run npm run gen:grammar after editing it)', () => {
    const peggy = createRequire(import.meta.url)('peggy') as {generate(g: string, o: object): string}
    const grammar = readFileSync('src/sockets/ss-filter.peggy', 'utf8')
    const generated = peggy.generate(grammar, {output: 'source', format: 'es', allowedStartRules: ['Filter'], grammarSource: 'src/sockets/ss-filter.peggy'})
    expect(readFileSync('src/sockets/ss-filter-parser.js', 'utf8')).toBe(generated)
  })
})

describe('ss filter expressions', () => {
  it('sport and dport with every operator ss has, by symbol and by name', () => {
    const cases: Array<[string, boolean]> = [
      ['sport = :12346', true],
      ['sport == :12346', true],
      ['sport eq :12346', true],
      ['sport :12346', true],
      ['sport = 12346', true],
      ['sport != :12346', false],
      ['sport ne :12346', false],
      ['sport neq :12346', false],
      ['sport < :12347', true],
      ['sport lt :12346', false],
      ['sport > :12345', true],
      ['sport gt :12346', false],
      ['sport <= :12346', true],
      ['sport le :12345', false],
      ['sport leq :12346', true],
      ['sport >= :12346', true],
      ['sport ge :12347', false],
      ['sport geq :12346', true],
      ['dport = :50000', true],
      ['dport = :12346', false],
    ]
    for (const [text, want] of cases) expect([text, matches([text], server)]).toEqual([text, want])
  })

  it('src and dst: addresses, CIDR networks, ports, brackets for IPv6, * for any, != to negate', () => {
    const cases: Array<[string, SsRow, boolean]> = [
      ['src 127.0.0.1', server, true],
      ['src 127.0.0.0/8', server, true],
      ['src 10.0.0.0/8', server, false],
      ['src 127.0.0.1:12346', server, true],
      ['src 127.0.0.1:12345', server, false],
      ['src 127.0.0.0/8:12346', server, true],
      ['src :12346', server, true],
      ['src *:12346', server, true],
      ['src *', server, true],
      ['dst 127.0.0.1:12346', client, true],
      ['dst :12346', server, false],
      ['src = 127.0.0.1', server, true],
      ['src != 127.0.0.1', server, false],
      ['src ::1', v6, true],
      ['src [::1]:12346', v6, true],
      ['src [::1]:1', v6, false],
      ['src [::]/0', v6, true],
      ['src 127.0.0.1', v6, false],
      // A dual-stack socket's IPv4-mapped address matches as IPv4.
      ['src 10.0.0.0/8 and dst 10.9.9.9:40000', mapped, true],
    ]
    for (const [text, r, want] of cases) expect([text, matches([text], r)]).toEqual([text, want])
  })

  it('and, or, not and parentheses; and/or bind equally, left to right, as in ss', () => {
    expect(matches(['sport = :1', 'or', 'sport = :12346'], server)).toBe(true)
    expect(matches(['sport = :12346 && dport = :50000'], server)).toBe(true)
    expect(matches(['sport = :12346 & dport = :1'], server)).toBe(false)
    expect(matches(['sport = :1 || sport = :12346'], server)).toBe(true)
    expect(matches(['sport = :12346 | sport = :1'], server)).toBe(true)
    // No operator between two conditions: and.
    expect(matches(['sport = :12346 dport = :1'], server)).toBe(false)
    expect(matches(['not sport = :1'], server)).toBe(true)
    expect(matches(['! sport = :12346'], server)).toBe(false)
    expect(matches(['!(sport = :12346)'], server)).toBe(false)
    // ss reads `a or b and c` as `(a or b) and c`: true or true, and false.
    expect(matches(['sport = :12346 or dport = :50000 and dport = :1'], server)).toBe(false)
    expect(matches(['sport = :12346 or ( dport = :50000 and dport = :1 )'], server)).toBe(true)
  })

  it('state and exclude: single states as ss spells them and its groups', () => {
    const states = (words: string[]) => {
      const f = parseSsFilter(words)
      if (!f.ok) throw f.error
      return [...(f.value.states ?? [])].sort()
    }
    expect(states(['state', 'established'])).toEqual(['ESTABLISHED'])
    expect(states(['state', 'listening', 'state', 'close-wait'])).toEqual(['CLOSE-WAIT', 'LISTEN'])
    expect(states(['state', 'syn-rcv'])).toEqual(['SYN-RECV'])
    expect(states(['state', 'unconnected'])).toEqual(['CLOSE', 'UNCONN'])
    expect(states(['state', 'bucket'])).toEqual(['SYN-RECV', 'TIME-WAIT'])
    expect(states(['state', 'connected'])).not.toContain('LISTEN')
    expect(states(['state', 'synchronized'])).not.toContain('SYN-SENT')
    expect(states(['state', 'big'])).not.toContain('TIME-WAIT')
    expect(states(['state', 'all'])).toContain('LISTEN')
    // exclude starts from all, as in ss.
    expect(states(['exclude', 'listening', 'excl', 'bucket'])).toEqual(
      ['CLOSE', 'CLOSE-WAIT', 'CLOSING', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'LAST-ACK', 'SYN-SENT', 'UNCONN'].sort(),
    )
  })

  it('bad filters fail with the column and what was expected there', () => {
    const bad = (words: string[]) => {
      const f = parseSsFilter(words)
      expect(f.ok).toBe(false)
      return f.ok ? {code: '', message: ''} : {code: f.error.code, message: f.error.message}
    }
    expect(bad(['sport = x'])).toEqual({code: 'BAD_EXPRESSION', message: expect.stringContaining('column 9 ("x"): "x" is not a port number')})
    expect(bad(['sport = :ssh']).message).toContain('resolves no service names')
    expect(bad(['sport >']).message).toBe('bad filter at column 8 (the end): expected a port (:12346 or 12346)')
    expect(bad(['(', 'sport = :1']).message).toMatch(/^bad filter at column 13 \(the end\): expected .*"\)"$/)
    expect(bad(['sport = :1 foo']).message).toMatch(/^bad filter at column 12 \("foo"\): expected and, or, /)
    expect(bad(['state', 'bogus']).message).toContain('column 7 ("bogus"): unknown state "bogus"')
    expect(bad(['sport = :1 state established']).message).toContain('column 12 ("state"): state and exclude go first')
    expect(bad(['src', '10.0.0.0/33']).message).toContain('column 5 ("10.0.0.0/33")')
    expect(bad(['dev lo']).message).toContain("ss's \"dev\" needs netlink")
    expect(bad(['sport = :70000']).message).toContain('expected an integer from 0 to 65535')
  })

  it('host words as ss splits them', () => {
    expect(parseSsHost('10.0.0.0/8:80')).toMatchObject({ok: true, value: {prefix: {text: '10.0.0.0/8'}, port: 80}})
    expect(parseSsHost('[fd00::]/8:1')).toMatchObject({ok: true, value: {prefix: {text: 'fd00::/8'}, port: 1}})
    expect(parseSsHost('fd00::1')).toMatchObject({ok: true, value: {prefix: {text: 'fd00::1'}, port: null}})
    expect(parseSsHost('*:22')).toMatchObject({ok: true, value: {prefix: null, port: 22}})
    expect(parseSsHost('localhost').ok).toBe(false)
  })
})

describe("ss's flags", () => {
  const rewrite = (argv: string[]) => {
    const r = fromSsFlags(argv)
    if (!r.ok) throw r.error
    return r.value
  }
  it('bundles become rpcdiag flags; -a, -n and -p are what rpcdiag always shows', () => {
    expect(rewrite(['-tanp'])).toEqual(['-t'])
    expect(rewrite(['-lntu'])).toEqual(['-l', '-t', '-u'])
    expect(rewrite(['-tan4', 'state', 'listening'])).toEqual(['-t', '-4', 'state', 'listening'])
    expect(rewrite(['-te6x'])).toEqual(['-t', '-e', '-6', '-x'])
    expect(rewrite(['-a', '-n', '-p'])).toEqual([])
    expect(rewrite(['--listening', '--all', '--numeric', '--processes'])).toEqual(['--listen'])
  })

  it('a lone -p or -n with a value keeps its rpcdiag meaning (--port, --count)', () => {
    expect(rewrite(['-p', '12345'])).toEqual(['-p', '12345'])
    expect(rewrite(['-p', '8000-8100,9000'])).toEqual(['-p', '8000-8100,9000'])
    expect(rewrite(['-p', 'state', 'listening'])).toEqual(['state', 'listening'])
    expect(rewrite(['-w', '1', '-n', '3'])).toEqual(['-w', '1', '-n', '3'])
    expect(rewrite(['-n', '-t'])).toEqual(['-t'])
    expect(rewrite(['--', '-tanp'])).toEqual(['--', '-tanp'])
  })

  it('refuses what /proc cannot show, with the reason', () => {
    const r = fromSsFlags(['-tanpo'])
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.message).toContain('-o (timers)')
    const s = fromSsFlags(['-s'])
    expect(!s.ok && s.error.message).toContain('ss -s is the summary')
  })

  it('--watch takes units, and a bare --watch the default interval', () => {
    expect(withWatchDefault(['--watch', '500ms'])).toEqual(['--watch', '500ms'])
    expect(withWatchDefault(['--watch', 'state', 'listening'])).toEqual(['--watch', '2', 'state', 'listening'])
  })
})
