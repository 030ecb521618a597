// What the generated dissector knows, gathered from rpcdiag's own sources at
// generation time: the wire constants, the err_code names of both dialects,
// the peer limits, the default TinyPB ports, the frame size limit sniff uses,
// and (with --proto) the request and response type of every method. The Lua
// file gets these as tables, so it cannot drift from what rpcdiag decodes.

import {dirname} from 'node:path'

import {
  allErrorCodes,
  DEFAULT_CHECKSUM,
  describeErrorCode,
  END,
  FIXED_OVERHEAD,
  MIN_FRAME,
  MSG_ID_AT,
  MSG_ID_LEN_AT,
  PK_LEN_AT,
  ROCKET_EMPTY_MSG_ID_REPLY,
  ROCKET_FRAME_DROP,
  ROCKET_MSG_ID_LIMIT,
  ROCKET_NAME_LIMIT,
  START,
  TINYRPC_MSG_ID_LIMIT,
  TRAILER,
} from '../../decoders/tinypb/index.js'
import type {PortRange} from '../net/index.js'
import type {ProtoSchema} from '../rpc/proto/schema.js'
import {DETECT_SCAN_BYTES, likelyCauses, MAX_UNDECIDED} from '../sniff/index.js'
import {DEFAULT_MAX_HELD_BYTES, EPHEMERAL_PORT_MIN} from '../sniff/reassembly/index.js'
import {type PeerTemplate, peerTemplates} from './peer-templates.js'

/** The message types of one method, as Wireshark's protobuf dissector names them (full names, no leading dot). */
export interface MethodTypes {
  readonly request: string
  readonly response: string
}

/** A directory for Wireshark's "Protobuf search paths" table. */
export interface ProtoSearchPath {
  readonly path: string
  /** Load every .proto under it (the folders of the --proto files); false: only for imports (-I). */
  readonly loadAll: boolean
}

/** A port or range the dissector registers on, and why. */
export interface ListedPort extends PortRange {
  readonly why: string
}

export interface DissectorSpec {
  /** rpcdiag's version, written into the file's header. */
  readonly version: string
  /** The command line that made the file, for its header. */
  readonly commandLine: string
  readonly ports: readonly ListedPort[]
  readonly constants: Readonly<Record<string, number | string>>
  /** err_code -> name, "A (rocket) / B (tinyrpc)" where the dialects differ; 0 is OK. */
  readonly errorNames: ReadonlyMap<number, string>
  readonly peerFindings: readonly PeerTemplate[]
  /** describeErrorCode's words for a code that is not the framework's, with {code}. */
  readonly applicationError: string
  /** Why a request went unanswered, as sniff words it: when it shared its segment, and always. */
  /** rocket's read rule for a request that came with other frames in one segment; {size} and {segment} stand for their bytes. */
  readonly readRuleCause: string
  readonly unansweredCauses: UnansweredCauses
  /** By every name a frame may carry (full name, and `Service.method` when unambiguous). */
  readonly methods: ReadonlyMap<string, MethodTypes>
  readonly protoFiles: readonly string[]
  readonly searchPaths: readonly ProtoSearchPath[]
}

export interface SpecOptions {
  readonly version: string
  readonly commandLine: string
  readonly ports: readonly ListedPort[]
  readonly schema?: ProtoSchema
  /** Absolute -I directories. */
  readonly importPaths?: readonly string[]
}

/** The wire facts the Lua decoder works with, by the names it uses. */
export function wireConstants(): Record<string, number | string> {
  return {
    START_BYTE: START,
    END_BYTE: END,
    FIXED_OVERHEAD,
    MIN_FRAME,
    PK_LEN_AT,
    MSG_ID_LEN_AT,
    MSG_ID_AT,
    TRAILER,
    DEFAULT_CHECKSUM,
    // sniff's default --buffer-limit: the largest frame it accepts.
    MAX_FRAME: DEFAULT_MAX_HELD_BYTES,
    DETECT_SCAN_BYTES,
    // Frames held while no frame has told which side is the server, before the ports decide.
    MAX_UNDECIDED,
    EPHEMERAL_PORT_MIN,
    TINYRPC_MSG_ID_LIMIT,
    ROCKET_MSG_ID_LIMIT,
    ROCKET_NAME_LIMIT,
    ROCKET_FRAME_DROP,
    ROCKET_EMPTY_MSG_ID_REPLY,
  }
}

/** Every framework err_code with the name rpcdiag prints for it. */
export function errorNames(): Map<number, string> {
  const names = new Map<number, string>([[0, describeErrorCode(0)]])
  for (const {code} of allErrorCodes()) names.set(code, describeErrorCode(code))
  return names
}

const CODE_SENTINEL = 987_654_321

export function applicationErrorTemplate(): string {
  const text = describeErrorCode(CODE_SENTINEL)
  if (!text.includes(String(CODE_SENTINEL))) throw new Error(`describeErrorCode does not name application code ${CODE_SENTINEL}`)
  return text.replace(String(CODE_SENTINEL), '{code}')
}

/** Why a request got no reply, as sniff words it, for each thing a .proto can say of its method; {method} stands for it. */
export interface UnansweredCauses {
  /** Without a .proto. */
  readonly noSchema: readonly string[]
  readonly inProto: readonly string[]
  readonly notInProto: readonly string[]
}

const METHOD_SENTINEL = 'Zzservice.zzmethod'

const SIZE_SENTINEL = 1001
const SEGMENT_SENTINEL = 2002

/**
 * sniff's likely causes of a missing reply that a capture of any request
 * supports, and rocket's read rule for a request whose segment held other
 * frames too (sniff names it first when that segment held 128 bytes or more).
 */
export function unansweredCauses(): {readRuleCause: string; unansweredCauses: UnansweredCauses} {
  const facts = {size: MIN_FRAME, method: METHOD_SENTINEL, findings: [], segmentBytes: MIN_FRAME, methodKnown: undefined, payloadBad: false}
  const texts = (methodKnown: boolean | undefined) => likelyCauses({...facts, methodKnown}).map((c) => c.message.split(METHOD_SENTINEL).join('{method}'))
  const always = likelyCauses(facts)
  const read = likelyCauses({...facts, size: SIZE_SENTINEL, segmentBytes: SEGMENT_SENTINEL}).filter((c) => !always.some((a) => a.code === c.code))
  if (read.length !== 1 || !read[0].message.includes(String(SEGMENT_SENTINEL))) throw new Error("likelyCauses no longer names rocket's read rule for a shared segment")
  const readRuleCause = read[0].message.split(String(SIZE_SENTINEL)).join('{size}').split(String(SEGMENT_SENTINEL)).join('{segment}')
  return {readRuleCause, unansweredCauses: {noSchema: texts(undefined), inProto: texts(true), notInProto: texts(false)}}
}

/**
 * Method name on the wire -> message types. A name is listed when rpcdiag's
 * own lookup (ProtoSchema.findMethod, what sniff uses to decode payloads)
 * resolves it to that method: the full name always, `Service.method` when no
 * other service shares it.
 */
export function methodTypes(schema: ProtoSchema): Map<string, MethodTypes> {
  const out = new Map<string, MethodTypes>()
  const typeName = (t: {fullName: string}) => t.fullName.replace(/^\./, '')
  for (const m of schema.methods) {
    const types = {request: typeName(m.requestType), response: typeName(m.responseType)}
    for (const name of [m.wireName, m.fullName, m.shortName]) {
      const found = schema.findMethod(name)
      if (found.ok && found.value === m && !out.has(name)) out.set(name, types)
    }
  }
  return out
}

/**
 * Wireshark's protobuf dissector finds types through its search paths: the
 * folder of each --proto file (every file there is loaded), then the -I
 * folders (searched for imports only).
 */
export function searchPaths(protoFiles: readonly string[], importPaths: readonly string[]): ProtoSearchPath[] {
  const out: ProtoSearchPath[] = []
  for (const dir of new Set(protoFiles.map((f) => dirname(f)))) out.push({path: dir, loadAll: true})
  for (const dir of importPaths) if (!out.some((p) => p.path === dir)) out.push({path: dir, loadAll: false})
  return out
}

export function dissectorSpec(opts: SpecOptions): DissectorSpec {
  const protoFiles = opts.schema?.files ?? []
  return {
    version: opts.version,
    commandLine: opts.commandLine,
    ports: opts.ports,
    constants: wireConstants(),
    errorNames: errorNames(),
    peerFindings: peerTemplates(),
    applicationError: applicationErrorTemplate(),
    ...unansweredCauses(),
    methods: opts.schema === undefined ? new Map() : methodTypes(opts.schema),
    protoFiles,
    searchPaths: opts.schema === undefined ? [] : searchPaths(protoFiles, opts.importPaths ?? []),
  }
}
