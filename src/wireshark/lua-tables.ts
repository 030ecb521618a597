// The generated part of the Lua file: the spec as Lua locals and tables, each
// with a comment naming the rpcdiag source it was taken from.

import {luaComment, luaKey, luaString, luaValue} from './lua-literal.js'
import type {DissectorSpec} from './spec.js'

/** rows: [entry, trailing comment?] */
function table(name: string, rows: ReadonlyArray<string | readonly [string, string]>, comment: readonly string[]): string[] {
  const lines = rows.map((r) => (typeof r === 'string' ? `  ${r},` : `  ${r[0]}, -- ${luaComment(r[1])}`))
  return [...comment.map((c) => `-- ${luaComment(c)}`), `local ${name} = {`, ...lines, '}', '']
}

export function luaTables(spec: DissectorSpec): string {
  const out: string[] = [
    '----------------------------------------------------------------------------',
    '-- Generated from rpcdiag\'s sources: run `rpcdiag wireshark` again rather',
    '-- than editing these.',
    '----------------------------------------------------------------------------',
    '',
    '-- Wire constants and limits (decoders/tinypb/constants.ts; MAX_FRAME is',
    "-- sniff's default --buffer-limit, DETECT_SCAN_BYTES its mid-stream search).",
  ]
  for (const [k, v] of Object.entries(spec.constants)) out.push(`local ${k} = ${luaValue(v)}`)
  out.push('')

  out.push(
    ...table(
      'PORT_RANGES',
      spec.ports.map((p) => [`{ ${p.from}, ${p.to} }`, p.why] as const),
      ['TCP ports the dissector registers on; any other port reaches it through the heuristic.'],
    ),
  )

  out.push(
    ...table(
      'ERROR_NAMES',
      [...spec.errorNames].map(([code, name]) => `${luaKey(code)} = ${luaString(name)}`),
      ['err_code names, rocket and tinyrpc (decoders/tinypb/error-codes.ts).'],
    ),
  )
  out.push(`local APPLICATION_ERROR = ${luaString(spec.applicationError)}`, '')

  out.push(
    '-- Likely causes of a missing reply (src/sniff/transactions/causes.ts).',
    `local READ_RULE_CAUSE = ${luaString(spec.readRuleCause)}`,
    ...table(
      'UNANSWERED_CAUSES',
      (['noSchema', 'inProto', 'notInProto'] as const).map((k) => `${luaKey(k)} = { ${spec.unansweredCauses[k].map(luaString).join(',\n    ')} }`),
      ['Without a .proto, for a method in it, and for one that is not; {method} is the method_name.'],
    ),
  )

  out.push(
    ...table(
      'PEER_FINDINGS',
      spec.peerFindings.map(
        (p) =>
          `{ code = ${luaString(p.code)}, variant = ${luaString(p.variant)}, effect = ${luaString(p.effect)}, ` +
          `responses_too = ${luaValue(p.responsesToo)}, title = ${luaString(`${p.code}: ${p.effect} (${p.peers.join(', ')})`)},\n` +
          `    template = ${luaString(p.template)} }`,
      ),
      [
        'What a frame does to a rocket or tinyrpc peer (decoders/tinypb/peer-safety.ts):',
        'rpcdiag\'s messages with {placeholders}; the conditions are PEER_CHECKS below.',
      ],
    ),
  )

  const methods = [...spec.methods].map(([name, t]) => `${luaKey(name)} = { request = ${luaString(t.request)}, response = ${luaString(t.response)} }`)
  out.push(
    ...table('METHODS', methods, [
      spec.protoFiles.length > 0
        ? `method_name -> protobuf message types, from ${spec.protoFiles.join(', ')}`
        : 'method_name -> protobuf message types: none (no --proto); payloads show schema-less',
    ]),
  )
  return out.join('\n')
}
