// Strings from the wire and from /proc reach the terminal escaped: a process
// name, a method name or an err_info cannot clear the screen, recolour the
// line, or reorder it with a bidi override.
import {type ChildProcess, spawn} from 'node:child_process'
import {once} from 'node:events'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {decodeFrame, encodeFrame} from '../../decoders/tinypb/index.js'
import {ProcessAttribution} from '../../src/sniff/index.js'
import {describeStray, frameHeaderLine} from '../../src/render/call-result.js'
import {colorsFor} from '../../src/render/color.js'
import {renderServeEvent} from '../../src/render/serve-log.js'
import {flowText} from '../../src/render/sniff/format.js'
import {renderDiagnoses} from '../../src/render/sockets/summary.js'
import {renderListenerGroups} from '../../src/render/sockets/groups.js'
import {renderChanges} from '../../src/render/sockets/report.js'
import {renderSocketRows, renderUnixRows} from '../../src/render/sockets/table.js'
import {collectSockets, groupByListener, SocketIndex, type UnixSocketRow} from '../../src/sockets/index.js'
import {connRef} from '../sniff/conn-ref.js'

/** What a terminal would act on: C0 and C1 controls, DEL, bidi overrides and isolates. */
const ACTIVE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
const plain = colorsFor({isTTY: false}, {})
const EVIL = '\u001b[2J\u001b[31mOrder.makeOrder\u009b\u202e'

function safe(lines: readonly string[]): void {
  for (const l of lines) expect(l, JSON.stringify(l)).not.toMatch(ACTIVE)
}

describe('a process name from /proc/PID/comm', () => {
  let child: ChildProcess
  let port: number

  beforeAll(async () => {
    // A real process whose comm (set through process.title: prctl PR_SET_NAME) holds an escape sequence.
    child = spawn(process.execPath, ['-e', `process.title = '\\u001b[2J\\u009bsrv'; const s = require('net').createServer().listen(0, '127.0.0.1', () => console.log(s.address().port))`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const [data] = (await once(child.stdout!, 'data')) as [Buffer]
    port = Number(data.toString().trim())
  })

  afterAll(async () => {
    child.kill()
    await once(child, 'exit')
  })

  it('is escaped in the sockets table and in a sniffed flow', async () => {
    const t = await collectSockets({filter: {protocols: new Set(['tcp']), ports: [{from: port, to: port}]}})
    const listener = t.listeners.find((r) => r.localPort === port && r.pid === child.pid)
    expect(listener?.process).toMatch(/^\u001b\[2J/)
    const table = renderSocketRows([...t.sockets, ...t.listeners], plain)
    safe(table)
    expect(table.join('\n')).toContain(`${child.pid}/\\x1b[2J`)
    const groups = renderListenerGroups(groupByListener(t, new Map([[port, '--port']])), plain)
    safe(groups)
    expect(groups.join('\n')).toContain(`${child.pid}/\\x1b[2J`)

    const ref = connRef('127.0.0.1:50000', `127.0.0.1:${port}`)
    const attribution = new ProcessAttribution(async () => new SocketIndex([...t.sockets, ...t.listeners]), {minIntervalMs: 0})
    attribution.want(ref)
    await attribution.idle()
    expect(ref.serverProcess?.pid).toBe(child.pid)
    safe([flowText(ref)])
    expect(flowText(ref)).toContain(`(pid ${child.pid} \\x1b[2J`)
  })
})

describe('names and messages in the other human views', () => {
  it('serve: method, msg_id, err_info, note and payload JSON', () => {
    const line = renderServeEvent(
      {
        type: 'request',
        time: 0,
        peer: '127.0.0.1:5000',
        msgId: 'id\u001b[0m',
        method: EVIL,
        pkLen: 70,
        request: {goods: 'apple\u009b2J'},
        errCode: 10_000_009,
        errName: 'ERROR_METHOD_NOT_FOUND',
        errInfo: `not found method_name:[${EVIL}]`,
        response: undefined,
        replyLen: 60,
        action: 'reply',
        delayMs: 0,
        note: `unknown method ${EVIL}`,
      },
      {colors: plain},
    )!
    safe([line])
    expect(line).toContain('\\x1b[2J\\x1b[31mOrder.makeOrder\\x9b\\u{202e}')
    expect(renderServeEvent({type: 'malformed', time: 0, peer: 'p', code: 'BAD_END', offset: 0, skipped: 3, message: `bad ${EVIL}`}, {colors: plain})).not.toMatch(ACTIVE)
  })

  it('call: the frame header line and a stray response', () => {
    const bytes = encodeFrame({msgId: 'm\u0007', methodName: EVIL, errCode: 1, errInfo: 'e\u2066'})
    const r = decodeFrame(bytes, 0, bytes.length)
    expect(r.kind).toBe('frame')
    if (r.kind !== 'frame') return
    const header = frameHeaderLine(r.frame)
    safe([header])
    expect(header).toContain('msg_id "m\\u0007"')
    safe([describeStray({kind: 'unknown', msgId: 'x\u001b', methodName: EVIL, errCode: 0, pkLen: 70, at: 0})])
  })

  it('sockets: Unix socket paths, owners and the diagnoses that name processes', () => {
    const unix: UnixSocketRow = {type: 'stream', state: 'LISTEN', path: '/tmp/\u001b[2J.sock', inode: 1, pid: 1, process: 'p\u009b', owners: [{pid: 1, process: 'p\u009b', fd: 3}], pidMissing: null}
    const rows = renderUnixRows([unix], plain)
    safe(rows)
    safe(renderChanges([], [{kind: 'new', row: unix}], plain))
    expect(rows.join('\n')).toContain('/tmp/\\x1b[2J.sock')
    safe(renderDiagnoses([{code: 'CLOSE_WAIT_PILEUP', severity: 'warning', count: 3, endpoint: ':1', pid: 1, process: EVIL, message: `${EVIL} (pid 1) leaves sockets in CLOSE-WAIT`}], plain))
  })
})
