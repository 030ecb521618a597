import type {ChalkInstance} from 'chalk'

import {displayText, toHex} from '../../decoders/string/index.js'
import {hexdump} from './hexdump.js'
import {decodeFrame, type TinyPbFrame} from '../../decoders/tinypb/index.js'
import type {CallResult} from '../rpc/call.js'
import type {StrayResponse} from '../rpc/channel.js'
import type {MessageBody} from '../rpc/message-body.js'
import {roundMs} from '../stats/index.js'

export interface CallRenderOptions {
  readonly colors: ChalkInstance
  /** Show both frames: header fields and a hex dump. */
  readonly verbose?: boolean
}

function ms(v: number | undefined): string {
  return v === undefined ? '-' : `${v.toFixed(2)} ms`
}

const STRAY_WHY: Record<StrayResponse['kind'], string> = {
  duplicate: 'a second reply for an msg_id already answered (rocket re-sends earlier replies on a reused connection)',
  late: 'the reply to a call that had already timed out',
  unknown: 'an msg_id this connection never sent',
}

export function describeStray(s: StrayResponse): string {
  return `stray response msg_id ${displayText(s.msgId)} ${displayText(s.methodName)} (${s.pkLen} bytes, err_code ${s.errCode}) ignored: ${STRAY_WHY[s.kind]}`
}

/** The header fields of a frame, one line, in wire order; the strings escaped for the terminal. */
export function frameHeaderLine(f: TinyPbFrame): string {
  const q = (s: string) => displayText(JSON.stringify(s))
  return (
    `pk_len ${f.pkLen}  msg_id_len ${f.msgIdLen}  msg_id ${q(f.msgId)}  method_name_len ${f.methodNameLen}  method_name ${q(f.methodName)}  ` +
    `err_code ${f.errCode}  err_info_len ${f.errInfoLen}${f.errInfoLen > 0 ? `  err_info ${q(f.errInfo)}` : ''}  pb_data ${f.pbDataLen} bytes  checksum ${f.checksum}`
  )
}

function frameOf(bytes: Buffer): TinyPbFrame | undefined {
  const r = decodeFrame(bytes, 0, bytes.length)
  return r.kind === 'frame' ? r.frame : undefined
}

function bodyLines(body: MessageBody, c: ChalkInstance): string[] {
  if (body.kind === 'json') return JSON.stringify(body.json, null, 2).split('\n').map(displayText)
  const head = body.schemaError === undefined ? 'no schema: fields by number, like protoc --decode_raw' : `${body.schemaError}; shown by field number`
  const lines = [c.dim(`(${head})`)]
  lines.push(...(body.text.length > 0 ? body.text : [c.dim('(empty message)')]))
  if (body.json.error !== undefined) lines.push(c.yellow(`not a complete protobuf message: ${body.json.error.message}`))
  return lines
}

/** A call for humans: what was called, err_code, the response as JSON, timings; frames with --verbose. */
export function renderCallResult(r: CallResult, opts: CallRenderOptions): string[] {
  const c = opts.colors
  const out: string[] = []
  out.push(`${c.bold(r.method)}  ${c.dim('→')} ${r.peer}${r.local === undefined ? '' : c.dim(` (from ${r.local})`)}  msg_id ${r.msgId}`)
  if (opts.verbose) {
    const req = frameOf(r.request.frame)
    out.push(c.cyan(`> request frame, ${r.request.frame.length} bytes`))
    if (req !== undefined) out.push('  ' + frameHeaderLine(req))
    if (r.request.json !== undefined) out.push(...JSON.stringify(r.request.json, null, 2).split('\n').map((l) => '  ' + l))
    out.push(...hexdump(r.request.frame).map((l) => '  ' + l))
  }
  const resp = r.response
  if (resp !== undefined) {
    if (opts.verbose) {
      out.push(c.cyan(`< response frame, ${resp.frame.pkLen} bytes`))
      out.push('  ' + frameHeaderLine(resp.frame))
      out.push(...hexdump(resp.frame.bytes).map((l) => '  ' + l))
    }
    const code = resp.errCode === 0 ? c.green(`err_code 0 ${resp.errName}`) : c.red(`err_code ${resp.errCode} ${resp.errName}`)
    out.push(code + (resp.errInfo === '' ? '' : `  err_info ${displayText(JSON.stringify(resp.errInfo))}`))
    if (resp.methodMismatch !== undefined) out.push(c.yellow(`the response names method ${displayText(JSON.stringify(resp.methodMismatch))}, not "${r.method}"`))
    const typeName = resp.body.kind === 'json' ? resp.body.typeName : 'response'
    out.push(c.dim(`${typeName} (${resp.frame.pbDataLen} bytes):`))
    out.push(...bodyLines(resp.body, c))
    if (resp.body.kind === 'json' && resp.body.unknownFields.length > 0) {
      const list = resp.body.unknownFields.map((u) => `${u.path} #${u.fieldNumber} (wire type ${u.wireType}, ${u.bytes} bytes)`).join(', ')
      out.push(c.yellow(`fields the .proto does not define: ${list}; is the .proto older than the server?`))
    }
  }
  for (const s of r.strays) out.push(c.yellow(describeStray(s)))
  for (const i of r.malformed) out.push(c.yellow(`malformed input from the server: ${displayText(i.message)} (${i.skipped} bytes skipped at stream offset ${i.offset})`))
  const t = r.timings
  out.push(c.dim(`connect ${ms(t.connectMs)}  first byte ${ms(t.firstByteMs)}  total ${ms(t.totalMs)}`))
  return out
}

/** The message for a call that got no answer: the error, then the likely causes. */
export function renderCallFailure(r: CallResult): string {
  const e = r.error
  if (e === undefined) return ''
  const size = r.request.frame.length
  const lines = [`${e.message} (request frame ${size} bytes, to ${r.peer})`]
  if (r.causes.length > 0) {
    lines.push('Likely causes:')
    for (const cause of r.causes) lines.push(`  - ${cause}`)
  }
  return lines.join('\n')
}

function frameJson(f: TinyPbFrame | undefined, bytes: Uint8Array): Record<string, unknown> {
  return {...(f === undefined ? {} : f.toJSON()), hex: toHex(bytes)}
}

/** --format json: everything the pretty output shows, as one object. */
export function callResultToJson(r: CallResult, opts: {verbose?: boolean} = {}): Record<string, unknown> {
  const resp = r.response
  const t = r.timings
  const timings: Record<string, number> = {totalMs: roundMs(t.totalMs)}
  if (t.connectMs !== undefined) timings.connectMs = roundMs(t.connectMs)
  if (t.firstByteMs !== undefined) timings.firstByteMs = roundMs(t.firstByteMs)
  const out: Record<string, unknown> = {
    status: r.status,
    method: r.method,
    msgId: r.msgId,
    peer: r.peer,
    ...(r.local === undefined ? {} : {local: r.local}),
  }
  if (resp !== undefined) {
    Object.assign(out, {errCode: resp.errCode, errName: resp.errName, errInfo: resp.errInfo})
    if (resp.body.kind === 'json') {
      Object.assign(out, {responseType: resp.body.typeName, response: resp.body.json})
      if (resp.body.unknownFields.length > 0) out.unknownFields = resp.body.unknownFields
    } else {
      Object.assign(out, {responseRaw: resp.body.json, ...(resp.body.schemaError === undefined ? {} : {schemaError: resp.body.schemaError})})
    }
    if (resp.methodMismatch !== undefined) out.responseMethod = resp.methodMismatch
  }
  if (r.error !== undefined) out.error = {code: r.error.code, errCode: r.error.errCode, message: r.error.message, causes: r.causes}
  out.timings = timings
  if (r.request.json !== undefined) out.request = r.request.json
  if (opts.verbose) {
    out.requestFrame = frameJson(frameOf(r.request.frame), r.request.frame)
    if (resp !== undefined) out.responseFrame = frameJson(resp.frame, resp.frame.bytes)
  }
  out.strays = r.strays
  out.malformed = r.malformed
  out.warnings = r.warnings
  return out
}
