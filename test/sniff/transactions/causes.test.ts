import {describe, expect, it} from 'vitest'

import {peerSafety} from '../../../decoders/tinypb/index.js'
import {likelyCauses, type UnansweredFacts} from '../../../src/sniff/index.js'

/** A makeOrder request of `size` bytes with a msg_id of `msgIdLen`, as sniff describes it. */
function facts(over: Partial<UnansweredFacts> & {size?: number; msgIdLen?: number} = {}): UnansweredFacts {
  const size = over.size ?? 61
  const method = over.method ?? 'Order.makeOrder'
  const findings = peerSafety({pkLen: size, msgIdLen: over.msgIdLen ?? 20, methodNameLen: method.length, errInfoLen: 0, methodName: method}, 'request')
  return {size, method, findings, segmentBytes: size, methodKnown: undefined, payloadBad: false, ...over}
}

const codes = (f: UnansweredFacts) => likelyCauses(f).map((c) => c.code)

describe('likelyCauses (sniff): capture facts first, then the causes call and the load test give', () => {
  it('without a .proto: an unknown method or bad payload, then a handler that never ran done', () => {
    expect(codes(facts())).toEqual(['UNKNOWN_METHOD_OR_PAYLOAD', 'HANDLER_NO_DONE'])
    expect(likelyCauses(facts())[0].message).toContain('(give --proto to check)')
  })

  it('names rocket\'s 128-byte read first, then a FIN at once, before what is merely possible', () => {
    const f = facts({size: 200, clientFinAfterMs: 0.2})
    expect(codes(f)).toEqual(['FRAME_TOO_LARGE', 'HALF_CLOSED', 'UNKNOWN_METHOD_OR_PAYLOAD', 'HANDLER_NO_DONE'])
    expect(likelyCauses(f)[0].message).toBe('the request frame is 200 bytes: rocket loses whatever one read() returns when it is 128 bytes or more')
  })

  it('names the read of a small request that came with others in one segment of 128 bytes or more, even before the server closing', () => {
    const f = facts({size: 70, segmentBytes: 140, serverEnded: 'fin'})
    expect(codes(f)).toEqual(['READ_TOO_LARGE', 'SERVER_CLOSED', 'ROCKET_NEVER_CLOSES', 'TINYRPC_CLOSES'])
    expect(likelyCauses(f)[0].message).toContain('held 140 bytes')
    // Under 128 the read is not to blame (two 63-byte requests in one segment are both answered).
    expect(codes(facts({size: 63, segmentBytes: 126}))).toEqual(['UNKNOWN_METHOD_OR_PAYLOAD', 'HANDLER_NO_DONE'])
  })

  it('a server that walked away died or closed idle: rocket never closes, tinyrpc only after FIN or 54 s', () => {
    const f = facts({serverEnded: 'fin'})
    expect(codes(f)).toEqual(['SERVER_CLOSED', 'ROCKET_NEVER_CLOSES', 'TINYRPC_CLOSES'])
    const [, rocket, tinyrpc] = likelyCauses(f)
    expect(rocket.message).toBe(
      'rocket never closes a connection by itself, so the server process probably died: a msg_id of 100+ bytes or a method_name of 512+ bytes corrupts its memory',
    )
    expect(tinyrpc.message).toContain('after about 54 s idle')
  })

  it('names the crash when the request itself overflows a buffer and the server then resets', () => {
    const f = facts({msgIdLen: 120, size: 160, segmentBytes: 100, serverEnded: 'rst'})
    expect(codes(f)).toEqual(['SERVER_RESET', 'MSG_ID_TOO_LONG', 'FRAME_TOO_LARGE', 'ROCKET_NEVER_CLOSES', 'TINYRPC_CLOSES'])
    const causes = likelyCauses(f)
    expect(causes[1].message).toMatch(/^msg_id is 120 bytes: .*: the server may have crashed$/)
    // The finding already says what corrupted it: no generic list of limits.
    expect(causes[3].message).toBe('rocket never closes a connection by itself, so the server process probably died')
  })

  it('with a .proto: an unknown method or a payload that does not parse, named as such', () => {
    expect(likelyCauses(facts({methodKnown: false, method: 'Order.cancel'}))[0]).toEqual({
      code: 'UNKNOWN_METHOD',
      message: '"Order.cancel" is not in the loaded .proto: for an unknown service or method rocket sets the error but never sends it (tinyrpc answers it with an error)',
    })
    expect(codes(facts({methodKnown: true, payloadBad: true}))).toEqual(['BAD_REQUEST_PAYLOAD', 'HANDLER_NO_DONE'])
  })

  it('a method the .proto has points at the handler first, then asks whether the server runs the same .proto', () => {
    const [first, second] = likelyCauses(facts({methodKnown: true}))
    expect(first.code).toBe('HANDLER_NO_DONE')
    expect(second.code).toBe('UNKNOWN_METHOD_OR_PAYLOAD')
    expect(second.message).toContain('is the server built from the same one?')
    // Without a .proto the dispatcher stays the first suspect.
    expect(likelyCauses(facts({methodKnown: undefined}))[0].code).toBe('UNKNOWN_METHOD_OR_PAYLOAD')
  })
})
