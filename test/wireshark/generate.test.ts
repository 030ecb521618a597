// The generated tables come from rpcdiag's own sources: err_code names,
// peer-safety texts and limits, likely causes. No tshark needed here.

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {allErrorCodes, describeErrorCode, type FrameShape, peerSafety, ROCKET_FRAME_DROP, ROCKET_MSG_ID_LIMIT, ROCKET_NAME_LIMIT, TINYRPC_MSG_ID_LIMIT} from '../../decoders/tinypb/index.js'
import {luaString} from '../../src/wireshark/lua-literal.js'
import {applicationErrorTemplate, dissectorSpec, generateDissector, peerTemplates, uatRecord, unansweredCauses} from '../../src/wireshark/index.js'

const spec = () => dissectorSpec({version: '9.9.9', commandLine: 'rpcdiag wireshark', ports: [{from: 12_345, to: 12_345, why: 'test'}]})

/** What the Lua's fill() does: {name} -> value. */
function fill(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m))
}

/** The Lua's conditions (PEER_CHECKS), as the variant each finding takes. */
function luaVariant(code: string, f: FrameShape): string | undefined {
  switch (code) {
    case 'MSG_ID_TOO_LONG':
      return f.msgIdLen >= ROCKET_MSG_ID_LIMIT ? 'any' : f.msgIdLen >= TINYRPC_MSG_ID_LIMIT ? 'tinyrpc-only' : undefined
    default:
      return 'any'
  }
}

describe('the generated tables', () => {
  it('name every framework err_code as rpcdiag does, in both dialects', () => {
    const lua = generateDissector(spec())
    for (const {code} of allErrorCodes()) expect(lua).toContain(`[${code}] = ${luaString(describeErrorCode(code))},`)
    expect(lua).toContain('[0] = "OK",')
    expect(lua).toContain('[10000011] = "ERROR_RPC_CHANNEL_INIT (rocket) / ERROR_NOT_SET_ASYNC_PRE_CALL (tinyrpc)"')
    expect(fill(applicationErrorTemplate(), {code: 42})).toBe(describeErrorCode(42))
  })

  it('carry the peer limits and sniff\'s frame limit as numbers', () => {
    const lua = generateDissector(spec())
    expect(lua).toContain(`local ROCKET_FRAME_DROP = ${ROCKET_FRAME_DROP}\n`)
    expect(lua).toContain(`local ROCKET_NAME_LIMIT = ${ROCKET_NAME_LIMIT}\n`)
    expect(lua).toContain('local MAX_FRAME = 16777216\n')
  })

  it('peer-safety templates filled with a frame\'s values are peerSafety\'s own messages', () => {
    const templates = peerTemplates()
    const length = fc.oneof(fc.integer({min: 0, max: 1000}), fc.constantFrom(0, 49, 50, 99, 100, 127, 128, 511, 512))
    fc.assert(
      fc.property(length, length, length, length, fc.constantFrom('Order.makeOrder', 'makeOrder', 'shop.Order.makeOrder', 'a\tb.c.d', ''), (pk, msgId, method, errInfo, name) => {
        const shape: FrameShape = {pkLen: pk, msgIdLen: msgId, methodNameLen: method, errInfoLen: errInfo, methodName: name}
        for (const role of ['request', 'response'] as const) {
          const expected = peerSafety(shape, role).map((f) => f.message)
          const vars = {pk_len: pk, msg_id_len: msgId, method_len: method, err_info_len: errInfo, method: name.replace('\t', '\\t'), service: (/^([^.]*)\./.exec(name)?.[1] ?? '').replace('\t', '\\t')}
          const fired = peerSafety(shape, role).map((f) => templates.find((t) => t.code === f.code && t.variant === luaVariant(f.code, shape))!)
          expect(fired.map((t) => fill(t.template, vars))).toEqual(expected)
          expect(fired.every((t) => role === 'request' || t.responsesToo)).toBe(true)
        }
      }),
    )
  })

  it('likely causes of a missing reply are sniff\'s', () => {
    const {readRuleCause, unansweredCauses: causes} = unansweredCauses()
    expect(readRuleCause).toMatch(/segment that carried this \{size\}-byte request held \{segment\} bytes/)
    for (const list of [causes.noSchema, causes.inProto, causes.notInProto]) expect(list.some((c) => /without running done/.test(c))).toBe(true)
    expect(causes.notInProto.some((c) => c.startsWith('"{method}" is not in the loaded .proto'))).toBe(true)
  })

  it('refuse to generate a file that cannot check a finding rpcdiag knows', () => {
    const s = spec()
    const extra = {...s, peerFindings: [...s.peerFindings, {...s.peerFindings[0], code: 'NEW_FINDING' as never}]}
    expect(() => generateDissector(extra)).toThrow(/no check for peer-safety finding\(s\) NEW_FINDING/)
  })
})

describe('Lua and UAT literals', () => {
  it('escape quotes, backslashes, newlines and non-ASCII bytes', () => {
    expect(luaString('a"b\\c\n\u00fc\u0001')).toBe('"a\\"b\\\\c\\n\\195\\188\\001"')
  })

  it('write a protobuf search path the way Wireshark\'s UAT reads it', () => {
    expect(uatRecord({path: '/p/we"ird\\dir', loadAll: true})).toBe('"/p/we\\x22ird\\x5cdir","TRUE"')
    expect(uatRecord({path: '/imports', loadAll: false})).toBe('"/imports","FALSE"')
  })
})
