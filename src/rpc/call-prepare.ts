import {encodedLength, type PeerFinding, peerSafety} from '../../decoders/tinypb/index.js'
import {err, ok, type Result, UsageError} from '../errors.js'
import type {PeerKind} from './diagnose.js'
import {MSG_ID_LENGTH} from './msg-id.js'
import type {MethodInfo, ProtoSchema} from './proto/index.js'

/** The request body as the user gave it: JSON for a schema, or payload bytes as they are. */
export type RequestBody = {readonly kind: 'json'; readonly value: unknown} | {readonly kind: 'bytes'; readonly bytes: Uint8Array}

export interface CallInput {
  /** `Service.method`, `pkg.Service.method` or `pkg.Service/method`; without a schema, the method_name as sent. */
  readonly method: string
  readonly schema?: ProtoSchema
  /** Omitted: an empty message (every field at its default), like grpcurl without -d. */
  readonly body?: RequestBody
  readonly allowUnknownFields?: boolean
  /** A fixed msg_id; otherwise each call draws 20 digits like rocket. */
  readonly msgId?: string
  readonly peer?: PeerKind
  /** Send even a frame that would crash or misroute the peer. */
  readonly force?: boolean
}

/** A request checked and encoded, ready to be sent any number of times. */
export interface PreparedCall {
  /** method_name as written into the frame. */
  readonly wireName: string
  readonly method?: MethodInfo
  readonly schema?: ProtoSchema
  readonly pbData: Uint8Array
  /** The request as the server will decode it, defaults included (with a schema). */
  readonly requestJson?: Record<string, unknown>
  readonly msgId?: string
  readonly peer: PeerKind
  /** Peer-safety findings for the chosen peer: sent anyway (drops, or everything with force). */
  readonly findings: readonly PeerFinding[]
  readonly warnings: readonly string[]
}

/** A peer-safety finding as one line: what the frame does, to whom, and how. */
export function describeFinding(f: PeerFinding): string {
  return `${f.message} (${f.peers.join(', ')}: ${f.effect})`
}

/** What to warn about before a prepared call is sent: its own warnings, then the findings it is sent despite. */
export function preparedWarnings(p: Pick<PreparedCall, 'warnings' | 'findings'>): string[] {
  return [...p.warnings, ...p.findings.map(describeFinding)]
}

/** pk_len of the request frame for a msg_id of msgIdLen bytes. */
export function requestFrameSize(p: Pick<PreparedCall, 'wireName' | 'pbData'>, msgIdLen: number): number {
  return encodedLength({msgId: 'x'.repeat(msgIdLen), methodName: p.wireName, pbData: p.pbData})
}

/**
 * Check and encode a request before anything is sent. Every failure is a
 * UsageError (exit 2): no schema for JSON, an unknown method (with the closest
 * names), JSON of the wrong shape, unknown fields, a frame the peer cannot take.
 */
export function prepareCall(input: CallInput): Result<PreparedCall, UsageError> {
  const peer = input.peer ?? 'any'
  const warnings: string[] = []
  let method: MethodInfo | undefined
  let wireName = input.method
  if (input.schema !== undefined) {
    const m = input.schema.findMethod(input.method)
    if (!m.ok) return m
    method = m.value
    wireName = method.wireName
    if (method.clientStreaming || method.serverStreaming) {
      return err(new UsageError('STREAMING_METHOD', `${method.fullName} is a streaming rpc: TinyPB carries one request and one response per call`))
    }
  } else if (input.body?.kind !== 'bytes' && input.body !== undefined) {
    return err(
      new UsageError('NO_SCHEMA', '--json needs a schema: give --proto FILE (or set RPCDIAG_PROTO), or send the payload as it is with --data-hex or --data-base64'),
    )
  }
  if (wireName === '') return err(new UsageError('BAD_METHOD', 'the method name is empty'))

  let pbData: Uint8Array
  let requestJson: Record<string, unknown> | undefined
  if (input.body?.kind === 'bytes') {
    pbData = input.body.bytes
  } else if (method !== undefined) {
    const enc = input.schema!.encodeJson(method, 'request', input.body?.value ?? {}, {allowUnknownFields: input.allowUnknownFields})
    if (!enc.ok) return enc
    pbData = enc.value.bytes
    if (enc.value.dropped.length > 0) warnings.push(`unknown fields dropped (--allow-unknown-fields): ${enc.value.dropped.join(', ')}`)
  } else {
    pbData = new Uint8Array(0)
  }
  if (method !== undefined) {
    const back = input.schema!.decode(method, 'request', pbData)
    if (back.ok) requestJson = back.value.json
    else if (input.body?.kind === 'bytes') warnings.push(`the payload does not parse as ${method.requestType.name}: ${back.error.message}`)
  }

  const msgIdLen = input.msgId === undefined ? MSG_ID_LENGTH : Buffer.byteLength(input.msgId)
  const shape = {
    pkLen: requestFrameSize({wireName, pbData}, msgIdLen),
    msgIdLen,
    methodNameLen: Buffer.byteLength(wireName),
    errInfoLen: 0,
    methodName: wireName,
  }
  const findings = peerSafety(shape, 'request').filter((f) => peer === 'any' || f.peers.includes(peer))
  const blocking = findings.filter((f) => f.effect === 'crash' || f.effect === 'misroute')
  if (blocking.length > 0 && !input.force) {
    const onlyRocket = peer === 'any' && blocking.every((f) => f.peers.length === 1 && f.peers[0] === 'rocket')
    const lines = blocking.map((f) => `  - ${describeFinding(f)}`)
    const how = onlyRocket ? '--force sends it anyway; --peer tinyrpc if the server is not rocket' : '--force sends it anyway'
    return err(new UsageError('PEER_UNSAFE', `not sending a frame that would ${blocking[0].effect} the server:\n${lines.join('\n')}\n${how}`))
  }
  return ok({wireName, method, schema: input.schema, pbData, requestJson, msgId: input.msgId, peer, findings, warnings})
}
