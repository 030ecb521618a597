// Two readings of one capture file, in one shape so they can be compared row
// by row: rpcdiag's (runSniff, as `rpcdiag sniff --read FILE --frames` runs
// it) and tshark's with the generated dissector (tshark -2,
// JSON output). A frame is keyed by the capture frame holding its last byte.

import {spawnSync} from 'node:child_process'

import {peerSafety} from '../../decoders/tinypb/index.js'
import {openCapture} from '../../src/capture/index.js'
import type {ProtoSchema} from '../../src/rpc/proto/schema.js'
import {type FrameInfo, runSniff, SchemaPayloadDecoder, type SniffEvent} from '../../src/sniff/index.js'

export interface FrameRow {
  frame: number
  role: 'request' | 'response'
  msgId: string
  method: string
  pkLen: number
  pbLen: number
  errCode: number
  errInfo: string
  /** Peer-safety finding codes, sorted. */
  findings: string[]
  /** request: the frame of its response; response: the frame of its request. */
  pair?: number
  /** Response: ns since its request. */
  latencyNs?: number
  /** Response: the frame of the first reply to this msg_id. */
  duplicateOf?: number
  orphan?: true
  unanswered?: true
  /** No reply seen on a connection the capture cut short (sniff: an uncertain call with a request). */
  uncertain?: true
  /** Request whose msg_id was already in flight. */
  inFlight?: true
  methodMismatch?: true
  emptyMsgIdReply?: true
  /** Decoded payload fields: name -> value as text (only fields on the wire). */
  payload?: Record<string, string>
}

export interface ErrorRow {
  /** The connection's two ports, lower first, and the sender's. */
  conn: string
  port: number
  code: string
  offset: number
  skipped: number
}

export interface View {
  frames: FrameRow[]
  errors: ErrorRow[]
  /** Bytes skipped to a next frame start, everywhere. */
  skipped: number
}

function connOf(p: number, q: number): string {
  return p < q ? `${p}-${q}` : `${q}-${p}`
}

function sortView(v: View): View {
  v.frames.sort((a, b) => a.frame - b.frame || a.role.localeCompare(b.role) || a.msgId.localeCompare(b.msgId))
  v.errors.sort((a, b) => a.conn.localeCompare(b.conn) || a.port - b.port || a.offset - b.offset || a.code.localeCompare(b.code))
  return v
}

// ---------------------------------------------------------------- rpcdiag

/** Proto3 leaves default values off the wire: compare only what is there. */
function isDefault(v: unknown): boolean {
  return v === 0 || v === '' || v === false || v === '0' || (Array.isArray(v) && v.length === 0)
}

function payloadFields(f: FrameInfo, type: string | undefined): Record<string, string> | undefined {
  const p = f.payload
  if (p === undefined || !p.ok || p.schema !== 'proto' || type === undefined) return undefined
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(p.json as Record<string, unknown>)) if (!isDefault(v)) out[`pbf.${type}.${k}`] = String(v)
  return Object.keys(out).length > 0 ? out : undefined
}

/** Each packet's capture time, in order: what frame numbers are to tshark. */
async function packetStamps(file: string): Promise<Array<[number, number]>> {
  const opened = await openCapture({read: file})
  if (!opened.ok) throw opened.error
  const stamps: Array<[number, number]> = []
  for await (const batch of opened.value.source.batches()) for (const p of batch) stamps.push([p.tsSec, p.tsNsec])
  return stamps
}

/** rpcdiag's reading: runSniff, the pipeline `rpcdiag sniff --read FILE --frames` runs. */
export async function rpcdiagView(file: string, schema?: ProtoSchema): Promise<View> {
  const events: SniffEvent[] = []
  const run = await runSniff({
    capture: {read: file},
    session: {frames: true, payloads: schema === undefined ? undefined : new SchemaPayloadDecoder(schema)},
    output: () => ({event: (e) => events.push(e)}),
  })
  if (!run.ok) throw run.error
  const {summary, error} = await run.value.done
  if (error !== undefined) throw error
  // Frame times are ms since the capture's first second: back to frame numbers.
  const base = run.value.session.baseSec ?? 0
  const byT = new Map<number, number>()
  ;(await packetStamps(file)).forEach(([sec, nsec], i) => {
    const t = (sec - base) * 1000 + nsec / 1e6
    if (byT.has(t)) throw new Error(`${file}: frames ${byT.get(t)} and ${i + 1} have the same time; the comparison needs distinct ones`)
    byT.set(t, i + 1)
  })
  const frameOf = (t: number) => {
    const n = byT.get(t)
    if (n === undefined) throw new Error(`${file}: no frame at t=${t}`)
    return n
  }

  const rows = new Map<FrameInfo, FrameRow>()
  const row = (f: FrameInfo) => rows.get(f)!
  const errors: ErrorRow[] = []
  for (const e of events) {
    switch (e.type) {
      case 'frame': {
        const f = e.frame
        const enc = (s: string) => Buffer.byteLength(s, 'utf8')
        const shape = {pkLen: f.size, msgIdLen: enc(f.msgId), methodNameLen: enc(f.method), errInfoLen: enc(f.errInfo), methodName: f.method}
        const m = schema?.findMethod(f.method)
        const type = m?.ok ? (e.role === 'request' ? m.value.requestType : m.value.responseType).fullName.replace(/^\./, '') : undefined
        // Wireshark's string fields end at a NUL byte.
        const cstr = (s: string) => s.split('\0')[0]
        const r: FrameRow = {
          frame: frameOf(f.t),
          role: e.role,
          msgId: cstr(f.msgId),
          method: cstr(f.method),
          pkLen: f.size,
          pbLen: f.pbLen,
          errCode: f.errCode,
          errInfo: cstr(f.errInfo),
          findings: peerSafety(shape, e.role)
            .map((x) => x.code)
            .sort(),
        }
        const payload = payloadFields(f, type)
        if (payload !== undefined) r.payload = payload
        rows.set(f, r)
        break
      }
      case 'transaction': {
        const q = row(e.request)
        const s = row(e.response)
        q.pair = s.frame
        delete q.unanswered // a late reply, after --timeout
        s.pair = q.frame
        s.latencyNs = Math.round(e.latencyMs * 1e6)
        break
      }
      case 'unanswered':
        row(e.request).unanswered = true
        break
      case 'uncertain':
        if (e.request !== undefined && e.response === undefined) row(e.request).uncertain = true
        break
      case 'duplicate-response':
        row(e.response).duplicateOf = frameOf(e.firstAnsweredAt)
        break
      case 'orphan-response':
        row(e.response).orphan = true
        break
      case 'malformed': {
        const [client, server] = [e.conn.clientAddr.port, e.conn.serverAddr.port]
        errors.push({conn: connOf(client, server), port: e.from === 'client' ? client : server, code: e.code, offset: e.offset, skipped: e.skipped})
        break
      }
      case 'warning': {
        const frames = [...rows.values()].filter((r) => r.msgId === e.msgId)
        if (e.code === 'DUPLICATE_MSG_ID') frames.filter((r) => r.role === 'request').at(-1)!.inFlight = true
        if (e.code === 'METHOD_MISMATCH') frames.filter((r) => r.role === 'response').at(-1)!.methodMismatch = true
        if (e.code === 'EMPTY_MSG_ID_REPLY') frames.filter((r) => r.role === 'response').at(-1)!.emptyMsgIdReply = true
        break
      }
      default:
        break
    }
  }
  return sortView({frames: [...rows.values()], errors, skipped: summary.skippedBytes})
}

// ---------------------------------------------------------------- tshark

type Json = Record<string, unknown>

const all = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])

function experts(item: Json): Set<string> {
  const out = new Set<string>()
  for (const e of all(item['_ws.expert'] as Json | Json[] | undefined)) for (const k of Object.keys(e)) if (!k.startsWith('_ws.expert')) out.add(k)
  return out
}

/** pbf.* fields anywhere under the item's protobuf tree. */
function pbfFields(node: unknown, out: Record<string, string> = {}): Record<string, string> {
  if (node === null || typeof node !== 'object') return out
  for (const [k, v] of Object.entries(node as Json)) {
    if (k.startsWith('pbf.') && (typeof v === 'string' || Array.isArray(v))) out[k] = all(v as string | string[]).join(',')
    else pbfFields(v, out)
  }
  return out
}

/** "0.000679000" -> 679000 */
function nanos(text: string): number {
  const [s, frac = ''] = text.split('.')
  return Number(s) * 1e9 + Number(frac.padEnd(9, '0').slice(0, 9))
}

export interface TsharkRun {
  stdout: string
  stderr: string
}

/** Run tshark; its notice about running as root is not an error. */
export function tshark(args: readonly string[]): TsharkRun {
  const r = spawnSync('tshark', args, {encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe']})
  if (r.error !== undefined || r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed (${r.status ?? r.error?.message}): ${r.stderr}`)
  return {stdout: r.stdout, stderr: stripRootNotice(r.stderr)}
}

export function stripRootNotice(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/^Running as user "root" and group "root"\. This could be dangerous\.$/.test(l))
    .join('\n')
    .trim()
}

/** tshark's reading with the dissector: two passes, so requests know their responses. */
export function tsharkView(lua: string, file: string, extra: readonly string[] = []): View & {json: Json[]} {
  const {stdout} = tshark(['-2', '-X', `lua_script:${lua}`, '-r', file, '-T', 'json', '--no-duplicate-keys', '-J', 'frame tcp tinypb', ...extra])
  const packets = JSON.parse(stdout) as Array<{_source: {layers: Json}}>
  const frames: FrameRow[] = []
  const errors: ErrorRow[] = []
  let skipped = 0
  for (const p of packets) {
    const layers = p._source.layers
    const frame = Number((layers.frame as Json)['frame.number'])
    const port = Number((layers.tcp as Json | undefined)?.['tcp.srcport'])
    const conn = connOf(port, Number((layers.tcp as Json | undefined)?.['tcp.dstport']))
    for (const item of all(layers.tinypb as Json | Json[] | undefined)) {
      const x = experts(item)
      const s = (k: string) => item[`tinypb.${k}`] as string | undefined
      if (s('error') !== undefined) {
        skipped += Number(s('skipped'))
        if (!x.has('tinypb.midstream')) errors.push({conn, port, code: s('error')!, offset: Number(s('offset')), skipped: Number(s('skipped'))})
        continue
      }
      if (s('type') === undefined) continue // bytes of an earlier error's resync
      const r: FrameRow = {
        frame,
        role: s('type') === '0' ? 'request' : 'response',
        msgId: s('msg_id')!,
        method: s('method')!,
        pkLen: Number(s('pk_len')),
        pbLen: Number(s('pb_len')),
        errCode: Number(s('err_code')),
        errInfo: s('err_info')!,
        findings: [...x]
          .filter((k) => k.startsWith('tinypb.peer.'))
          .map((k) => k.slice('tinypb.peer.'.length).toUpperCase())
          .sort(),
      }
      const pair = s('response_in') ?? s('request_in')
      if (pair !== undefined) r.pair = Number(pair)
      if (s('time') !== undefined) r.latencyNs = nanos(s('time')!)
      if (s('duplicate_of') !== undefined) r.duplicateOf = Number(s('duplicate_of'))
      if (x.has('tinypb.orphan_response')) r.orphan = true
      if (x.has('tinypb.unanswered')) r.unanswered = true
      if (x.has('tinypb.uncertain')) r.uncertain = true
      if (x.has('tinypb.duplicate_msg_id')) r.inFlight = true
      if (x.has('tinypb.method_mismatch')) r.methodMismatch = true
      if (x.has('tinypb.empty_msg_id_reply')) r.emptyMsgIdReply = true
      if (item.protobuf !== undefined) {
        const fields = pbfFields(item.protobuf)
        if (Object.keys(fields).length > 0) r.payload = fields
      }
      frames.push(r)
    }
  }
  return {...sortView({frames, errors, skipped}), json: packets as unknown as Json[]}
}

/** "TShark (Wireshark) 4.0.17", or undefined when tshark is not installed. */
export function tsharkVersion(): string | undefined {
  const r = spawnSync('tshark', ['--version'], {encoding: 'utf8'})
  return r.status === 0 ? r.stdout.split('\n')[0].replace(/\s*\(Git.*$/, '').trim() : undefined
}
