// -Y compiled and run on calls built here: operators, missing fields, units, errors with columns.
import {describe, expect, it} from 'vitest'

import {type CallView, compileDisplayFilter, type FrameInfo} from '../../../src/sniff/index.js'
import {connRef} from '../conn-ref.js'

const conn = connRef(undefined, undefined, {clientProcess: {pid: 1, name: 'client_bin'}, serverProcess: {pid: 2, name: 'rocket_server'}})

function frame(extra: Partial<FrameInfo> = {}): FrameInfo {
  return {t: 0, msgId: '47540503508945585041', method: 'Order.makeOrder', size: 71, pbLen: 10, errCode: 0, errInfo: '', ...extra}
}

const ok: CallView = {
  t: 1,
  conn,
  state: 'ok',
  request: frame({payload: {ok: true, schema: 'proto', type: 'makeOrderRequest', json: {price: 120, goods: 'apple', nested: {a: 1}}, unknownFields: 0}}),
  response: frame({size: 80}),
  latencyMs: 7.5,
}
const unanswered: CallView = {t: 2, conn, state: 'unanswered', request: frame({method: 'Order.other', msgId: '7'}), waitedMs: 5000, cause: 'HANDLER_NO_DONE'}
const ctx = {epoch: (t: number) => 1_700_000_000 + t / 1000}

function test(expr: string, c: CallView, payloads = true): boolean {
  const f = compileDisplayFilter(expr, {payloads})
  if (!f.ok) throw f.error
  return f.value.test(c, ctx)
}

function error(expr: string, payloads = false): string {
  const f = compileDisplayFilter(expr, {payloads})
  if (f.ok) throw new Error(`${expr} compiled`)
  expect(f.error.code).toBe('BAD_DISPLAY_FILTER')
  return f.error.message
}

describe('-Y on calls', () => {
  it('compares with units, as text and as numbers', () => {
    expect(test('latency > 5ms', ok)).toBe(true)
    expect(test('latency > 0.01s', ok)).toBe(false)
    expect(test('latency > 7', ok)).toBe(true)
    expect(test('latency < 7500us', ok)).toBe(false)
    expect(test('waited >= 5s', unanswered)).toBe(true)
    expect(test('msg_id == 47540503508945585041', ok)).toBe(true)
    expect(test('msg_id == 47540503508945585042', ok)).toBe(false)
    expect(test('resp.size == 80 && req.size == 71', ok)).toBe(true)
    expect(test('5ms < latency', ok)).toBe(true)
  })

  it('a missing field compares false both ways; a bare field tests presence', () => {
    expect(test('latency > 0', unanswered)).toBe(false)
    expect(test('latency <= 0', unanswered)).toBe(false)
    expect(test('!latency', unanswered)).toBe(true)
    expect(test('cause == "HANDLER_NO_DONE"', unanswered)).toBe(true)
    expect(test('err_name', ok)).toBe(false)
  })

  it('and/or/not, &&/||/!, parentheses, contains, matches, several values', () => {
    expect(test('state == ok and not (method contains "other")', ok)).toBe(true)
    expect(test('state == unanswered || latency > 100ms', unanswered)).toBe(true)
    expect(test('!(state == "ok") && method matches "^Order\\\\.o"', unanswered)).toBe(true)
    expect(test('service == "Order" && server.port == 12346 && client.addr == "127.0.0.1"', ok)).toBe(true)
    expect(test('process == "rocket_server"', ok)).toBe(true)
    expect(test('process == "client_bin"', ok)).toBe(true)
    expect(test('process == "nginx"', ok)).toBe(false)
    expect(test('time > 1700000000', ok)).toBe(true)
  })

  it('payload fields by name', () => {
    expect(test('req.price > 100', ok)).toBe(true)
    expect(test('req.goods == "apple" && req.nested.a == 1', ok)).toBe(true)
    expect(test('resp.order_id == "x"', ok)).toBe(false)
    expect(test('req.price', unanswered)).toBe(false)
  })

  it('bad expressions say what and where', () => {
    expect(error('latency > 5ms && && x')).toBe('-Y: expected expression after && at column 18')
    expect(error('method == "a" & x')).toMatch(/at column \d+$/)
    expect(error('metod == "x"')).toBe('-Y: unknown field "metod" at column 1 (did you mean method?)')
    expect(error('latency > 5ms and mehtod == "x"')).toBe('-Y: unknown field "mehtod" at column 19 (did you mean method?)')
    expect(error('state == finished')).toMatch(/^-Y: no state "finished": .* at column 10$/)
    expect(error('req.price > 1')).toBe('-Y: req.price is a payload field at column 1 (payload fields need --proto: the .proto names them)')
    expect(error('method == 5ms')).toBe('-Y: 5ms is a duration but method is not at column 11')
    expect(error('method matches "("')).toMatch(/^-Y: bad regular expression "\(": .* at column 16$/)
    expect(error('latency + 1 > 2')).toMatch(/^-Y: operator "\+" is not supported .* at column 9$/)
    expect(error('size(1)')).toMatch(/^-Y: expected a field name or a value, not a function call at column 1$/)
    expect(error('(latency > 1')).toMatch(/^-Y: .* at column \d+$/)
    expect(error('  ')).toBe('-Y: empty expression at column 1')
  })
})
