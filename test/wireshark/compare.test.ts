// Every pcap fixture, read by rpcdiag (the sniff session) and by the real
// tshark with the dissector `rpcdiag wireshark` generates: the same TinyPB
// frames in the same capture frames, the same fields, the same request and
// response pairs and latencies, the same duplicates, orphans and unanswered
// requests, the same peer-safety findings, the same decode errors and skipped
// bytes, and with --proto the same payload fields.

import {mkdtempSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import Wireshark from '../../commands/wireshark.js'
import {loadSchema} from '../../src/rpc/proto/load.js'
import type {ProtoSchema} from '../../src/rpc/proto/schema.js'
import {type InstallGuide, peerTemplates, tsharkProtoArgs} from '../../src/wireshark/index.js'
import {FIXTURES} from '../fixtures/pcap/read-capture.js'
import {runCommand} from '../rpc/helpers/run-command.js'
import {buildFixtures, type Fixture, randomCapture, writeFixture} from './fixtures.js'
import {rpcdiagView, tsharkVersion, tsharkView, type View} from './views.js'

const TSHARK = tsharkVersion()
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-wireshark-'))
const PROTOS = ['examples/order.proto', 'examples/query.proto']

const loaded = loadSchema({protoFiles: PROTOS, importPaths: []})
if (!loaded.ok) throw loaded.error
const schema: ProtoSchema = loaded.value
/** Seeded random traffic and garbage: the same seeds every run (test/fuzz/rng.ts). */
const RANDOM_SEEDS = [1, 2, 3, 4, 5, 6]
const built = [...buildFixtures(schema), ...RANDOM_SEEDS.map(randomCapture)]

/** What each built fixture is for: the comparison must see it, or it compares nothing. */
const EXERCISES: Record<string, (v: View) => void> = {
  'split-frames': (v) => {
    expect(v.frames).toHaveLength(12)
    expect(v.frames.every((f) => f.pair !== undefined)).toBe(true)
  },
  'several-per-segment': (v) => {
    const perFrame = new Map<number, number>()
    for (const f of v.frames) perFrame.set(f.frame, (perFrame.get(f.frame) ?? 0) + 1)
    expect(Math.max(...perFrame.values())).toBe(4)
    expect(v.frames.every((f) => f.pair !== undefined)).toBe(true)
  },
  garbage: (v) => {
    expect(new Set(v.errors.map((e) => e.code))).toEqual(new Set(['BAD_START', 'PK_LEN_TOO_SMALL', 'BAD_END', 'FIELD_OVERRUN', 'NEGATIVE_PB_LEN']))
    expect(v.frames.every((f) => f.pair !== undefined)).toBe(true)
  },
  anomalies: (v) => {
    expect(new Set(v.frames.map((f) => f.errCode))).toEqual(new Set([0, 10_000_008, 10_000_009, 10_000_010, 42]))
    for (const flag of ['duplicateOf', 'orphan', 'unanswered', 'inFlight', 'methodMismatch', 'emptyMsgIdReply'] as const) {
      expect(v.frames.some((f) => f[flag] !== undefined), flag).toBe(true)
    }
  },
  'peer-safety': (v) => {
    expect(new Set(v.frames.flatMap((f) => f.findings))).toEqual(new Set(peerTemplates().map((p) => p.code)))
  },
  payloads: (v) => {
    expect(v.frames).toHaveLength(20)
    expect(v.frames.every((f) => f.payload !== undefined)).toBe(true)
  },
  midstream: (v) => {
    expect(v.skipped).toBeGreaterThan(0)
    expect(v.frames.some((f) => f.orphan)).toBe(true)
  },
  truncated: (v) => {
    expect(v.errors.map((e) => e.code)).toEqual(['TRUNCATED', 'TRUNCATED', 'TRUNCATED', 'TRUNCATED'])
  },
}

/** A random capture exercises what its seed drew: frames in every role and garbage. */
function exercises(name: string): (v: View) => void {
  return (
    EXERCISES[name] ??
    ((v: View) => {
      expect(v.frames.some((f) => f.role === 'request') && v.frames.some((f) => f.role === 'response')).toBe(true)
      expect(v.errors.length).toBeGreaterThan(0)
    })
  )
}

interface Count {
  fixture: string
  frames: number
  requests: number
  responses: number
  pairs: number
  flagged: number
  errors: number
  skipped: number
  payloads: number
}
const counts: Count[] = []

function count(fixture: string, v: View): Count {
  return {
    fixture,
    frames: v.frames.length,
    requests: v.frames.filter((f) => f.role === 'request').length,
    responses: v.frames.filter((f) => f.role === 'response').length,
    pairs: v.frames.filter((f) => f.role === 'response' && f.pair !== undefined).length,
    flagged: v.frames.filter((f) => f.findings.length > 0 || f.duplicateOf !== undefined || f.orphan || f.unanswered || f.inFlight || f.methodMismatch || f.emptyMsgIdReply)
      .length,
    errors: v.errors.length,
    skipped: v.skipped,
    payloads: v.frames.filter((f) => f.payload !== undefined).length,
  }
}

// Needs tshark (CI installs it: .ci/run); without it there is no peer to compare with.
describe.skipIf(TSHARK === undefined)(`rpcdiag sniff and ${TSHARK ?? 'tshark (not installed)'} with the generated dissector`, () => {
  const lua = join(dir, 'tinypb.lua')
  let protoArgs: string[] = []

  beforeAll(async () => {
    const out = await runCommand<InstallGuide>(Wireshark, [...PROTOS.flatMap((p) => ['--proto', p]), '-o', lua, '--json'])
    expect(out.exitCode, out.stderr).toBe(0)
    protoArgs = tsharkProtoArgs(out.result!.searchPaths)
  })

  afterAll(() => {
    // The figures the closing note asks for: one line per fixture.
    console.info(['per-fixture comparison (rows equal in both readings):', ...counts.map((c) => JSON.stringify(c))].join('\n'))
  })

  const committed = readdirSync(FIXTURES).filter((f) => /\.pcap(ng)?$/.test(f))
  const cases: Array<{name: string; file: () => string; fixture?: Fixture}> = [
    ...committed.map((f) => ({name: f, file: () => join(FIXTURES, f)})),
    ...built.map((f) => ({name: `${f.name} (${f.what})`, file: () => writeFixture(f, dir), fixture: f})),
  ]

  for (const c of cases) {
    it(c.name, async () => {
      const file = c.file()
      const ours = await rpcdiagView(file, schema)
      const theirs = tsharkView(lua, file, protoArgs)
      expect(JSON.stringify(theirs.json).match(/Lua Error[^"]*/g) ?? []).toEqual([])
      expect(theirs.frames).toEqual(ours.frames)
      expect(theirs.errors).toEqual(ours.errors)
      expect(theirs.skipped).toBe(ours.skipped)
      expect(ours.frames.length).toBeGreaterThan(0)
      if (c.fixture !== undefined) exercises(c.fixture.name)(ours)
      else {
        // The real captures: every call answered (or, where the capture cut the reply, uncertain), every payload decoded with the .proto.
        expect(ours.frames.every((f) => (f.pair !== undefined || f.uncertain === true) && f.payload !== undefined)).toBe(true)
        if (c.name === 'truncated_replies.pcap') expect(ours.frames.filter((f) => f.uncertain)).toHaveLength(3)
      }
      counts.push(count(c.name, ours))
    })
  }
})
