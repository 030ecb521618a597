// sniff --read of real captures where a miscount would be easy: rocket's stale
// CLOSE_WAIT sockets and a client reusing its port (challenge ACK, RST, retried
// SYN), packets cut by the snap length; and on every committed capture, every
// payload byte counted once.
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import Sniff from '../../commands/sniff.js'
import {FIXTURES} from '../fixtures/pcap/read-capture.js'
import {runCommand} from '../rpc/helpers/run-command.js'
import {type Json, sniffJson} from './sniff-json.js'

/** Every captured payload byte counted once, every request and reply in one outcome. */
function expectAccounted(s: Json, label: string): void {
  expect(s.decodedBytes + s.skippedBytes + s.gapDroppedBytes + s.retransmittedBytes + s.unattributedBytes, label).toBe(s.bytes)
  expect(s.uncertain, label).toBe(Object.values(s.uncertainBy as Record<string, number>).reduce((n, v) => n + v, 0))
}

const REUSE = join(FIXTURES, 'close_wait_reuse.pcap')
const REUSE_LATE = join(FIXTURES, 'close_wait_reuse_late.pcap')

describe("rocket's stale CLOSE_WAIT sockets and a client reusing its port", () => {
  // --timeout 500: the old connection is given up on before the port comes back (as with real rocket, whose
  // stale sockets are hours old); the default 5 s: it is still open when the new SYN comes.
  for (const timeout of ['500', '5000']) {
    it(`pairs every call and names every challenge ACK (--timeout ${timeout})`, async () => {
      const {summary, of} = await sniffJson(['--read', REUSE, '--timeout', timeout, '-v'])
      expect(summary).toMatchObject({requests: 4, responses: 4, paired: 4, unanswered: 0, uncertain: 0, orphanResponses: 0, connections: 4, staleSockets: 3})
      expect(summary.serverNoFin).toBe(3)
      const stale = of('stale-socket')
      expect(stale).toHaveLength(3)
      expect(stale[0]).toMatchObject({retried: true, message: 'stale server socket: SYN answered with a challenge ACK, client reset and retried'})
      expect(new Set(of('transaction').map((t) => t.client))).toHaveProperty('size', 1)
      expectAccounted(summary, timeout)
    })
  }

  it('pairs every call of a capture that began after the sockets went stale', async () => {
    const {summary, of} = await sniffJson(['--read', REUSE_LATE])
    expect(summary).toMatchObject({requests: 3, paired: 3, connections: 3, staleSockets: 3, unattributedBytes: 0})
    expectAccounted(summary, 'late')
    // The server left each connection in CLOSE_WAIT until the client came back on the same ports.
    const warned = of('warning').filter((w) => w.code === 'SERVER_NO_FIN')
    expect(warned).toHaveLength(2)
    for (const w of warned) expect(w.message).toMatch(/\d s, until a new connection reused its ports\): its socket sits in CLOSE_WAIT/)
  })

  it('shows the stale socket with -v and counts it in the summary for humans', async () => {
    const quiet = await runCommand(Sniff, ['--read', REUSE_LATE])
    expect(quiet.stdout).not.toContain('challenge ACK, client reset')
    expect(quiet.stdout).toContain('Connections: 3, 2 left open by the server after the client\'s FIN, 3 stale server sockets (SYN answered with a challenge ACK: CLOSE_WAIT on the server)')
    expect(quiet.stdout).toMatch(/^Payload bytes: 423 = 423 decoded \+ 0 skipped \+ 0 in frames cut by gaps \+ 0 retransmitted \+ 0 on no connection$/m)
    const verbose = await runCommand(Sniff, ['--read', REUSE_LATE, '-v'])
    const lines = verbose.stdout.split('\n').filter((l) => l.includes('stale server socket:'))
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{6} 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:12351 connection #1: stale server socket: SYN answered with a challenge ACK, client reset and retried$/)
  })
})

describe('packets cut by the snap length', () => {
  it('reports each call whose reply lost its last byte as uncertain (truncated), never unanswered', async () => {
    const {summary, of} = await sniffJson(['--read', join(FIXTURES, 'truncated_replies.pcap')])
    expect(summary).toMatchObject({requests: 3, responses: 0, unanswered: 0, uncertain: 3, uncertainBy: {truncated: 3, gap: 0, drop: 0, conflict: 0}, truncatedSegments: 3})
    expect(summary.methods['Order.makeOrder']).toMatchObject({count: 3, unanswered: 0, uncertain: 3})
    expect(of('unanswered')).toEqual([])
    expect(of('uncertain').map((u) => u.reason)).toEqual(['truncated', 'truncated', 'truncated'])
    expect(of('gap').map((g) => [g.from, g.cause, g.missing, g.dropped])).toEqual(Array(3).fill(['server', 'truncated', 1, 70]))
    expectAccounted(summary, 'truncated')
    const human = await runCommand(Sniff, ['--read', join(FIXTURES, 'truncated_replies.pcap')])
    expect(human.stdout).toMatch(/Order\.makeOrder #20000000000000000001 70B UNCERTAIN \(truncated packets\) after [\d.]+ ms: no reply seen/)
    expect(human.stdout).toMatch(/^Order\.makeOrder\s+3\s+0\s+0\s+3\s+0\s/m)
    expect(human.stdout).toContain('3 uncertain (truncated packets 3)')
  })
})

describe('every payload byte of every committed capture', () => {
  const files = readdirSync(FIXTURES).filter((f) => /\.pcap(ng)?$/.test(f))

  it('finds the captures', () => {
    expect(files.length).toBeGreaterThanOrEqual(12)
  })

  for (const file of files) {
    it(`adds up: ${file}`, async () => {
      const {summary} = await sniffJson(['--read', join(FIXTURES, file)])
      expect(summary.bytes, file).toBeGreaterThan(0)
      expectAccounted(summary, file)
      expect(summary.requests, file).toBe(summary.paired + summary.unanswered + summary.uncertain)
    })
  }
})
