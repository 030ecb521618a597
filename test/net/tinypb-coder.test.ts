import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {encodeFrame, type TinyPbMessage} from '../../decoders/tinypb/index.js'
import {TcpBuffer, TinyPbCoder} from '../../src/net/index.js'

// A small pool, so that messages repeat their fields the way a load test's do
// (the same method and body buffer, a new msg_id each time) and also change them.
const bodies = [Buffer.from('086412056170706c65', 'hex'), Buffer.alloc(0), Buffer.from('ff'.repeat(300), 'hex')]
const message: fc.Arbitrary<TinyPbMessage> = fc.record(
  {
    msgId: fc.oneof(
      fc.stringMatching(/^\d{20}$/),
      fc.stringMatching(/^\d{1,25}$/),
      fc.constantFrom('é1234567890123456789', '１２', ''), // not ASCII: two or three bytes a character
      fc.uint8Array({maxLength: 20}),
    ),
    methodName: fc.constantFrom('Order.makeOrder', 'Order.cancelOrder', 'Ünïcode.m'),
    pbData: fc.constantFrom(...bodies),
    errCode: fc.constantFrom(undefined, 0, 10000009),
    errInfo: fc.constantFrom(undefined, '', 'not found'),
  },
  {requiredKeys: ['msgId', 'methodName']},
)

describe('TinyPbCoder.encode', () => {
  it('writes exactly what encodeFrame writes, for any run of messages, repeated fields or not', () => {
    fc.assert(
      fc.property(fc.array(message, {maxLength: 40}), fc.integer({min: 1, max: 8}), (msgs, repeats) => {
        const coder = new TinyPbCoder()
        const out = new TcpBuffer(64)
        const sent = msgs.flatMap((m) => Array.from({length: repeats}, (_, i) => (typeof m.msgId === 'string' && i > 0 ? {...m, msgId: m.msgId.slice(0, -1) + String(i)} : m)))
        for (const m of sent) coder.encode(m, out)
        expect(out.peek()).toEqual(Buffer.concat(sent.map((m) => encodeFrame(m))))
      }),
    )
  })

  it('copies the frame of a repeated request and writes only its msg_id', () => {
    const coder = new TinyPbCoder()
    const out = new TcpBuffer()
    const body = bodies[0]
    const ids = ['10000000000000000001', '10000000000000000002', '10000000000000000003']
    for (const msgId of ids) coder.encode({msgId, methodName: 'Order.makeOrder', pbData: body}, out)
    expect(out.peek()).toEqual(Buffer.concat(ids.map((msgId) => encodeFrame({msgId, methodName: 'Order.makeOrder', pbData: body}))))
  })
})
