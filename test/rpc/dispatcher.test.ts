import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {Dispatcher, parseResponses, type ResponseScript} from '../../src/rpc/index.js'
import {loadSchema, type ProtoSchema} from '../../src/rpc/proto/index.js'

function schemaOf(files: string[], importPaths: string[] = []): ProtoSchema {
  const r = loadSchema({protoFiles: files, importPaths})
  if (!r.ok) throw r.error
  return r.value
}

const order = schemaOf(['examples/order.proto'])
const query = schemaOf(['examples/query.proto'])
const shop = schemaOf(['shop/shop.proto'], ['test/rpc/fixtures'])

function script(schema: ProtoSchema, doc: unknown): ResponseScript {
  const r = parseResponses(JSON.stringify(doc), schema, 'test.json')
  if (!r.ok) throw r.error
  return r.value
}

function request(schema: ProtoSchema, method: string, json: unknown): Uint8Array {
  const m = schema.findMethod(method)
  if (!m.ok) throw m.error
  const e = schema.encodeJson(m.value, 'request', json)
  if (!e.ok) throw e.error
  return e.value.bytes
}

function responseJson(schema: ProtoSchema, method: string, bytes: Uint8Array) {
  const m = schema.findMethod(method)
  if (!m.ok) throw m.error
  const d = schema.decode(m.value, 'response', bytes)
  if (!d.ok) throw d.error
  return d.value.json
}

describe('framework errors, worded like tinyrpc', () => {
  const d = new Dispatcher({schema: order})
  it.each([
    ['makeOrder', 10_000_010, 'cannot parse service_name:[makeOrder]'],
    ['Order.', 10_000_010, 'cannot parse service_name:[Order.]'],
    ['Shop.makeOrder', 10_000_008, 'not found service_name:[Shop]'],
    ['Order.cancel', 10_000_009, 'not found method_name:[cancel]'],
  ])('%s -> %i', (name, code, info) => {
    const r = d.dispatch(name, new Uint8Array(0))
    expect([r.errCode, r.errInfo, r.pbData.length, r.noReply]).toEqual([code, info, 0, false])
  })

  it('answers a payload that does not parse with 10000003 and the request type, saying real tinyrpc sends 10000004', () => {
    const r = d.dispatch('Order.makeOrder', Buffer.from('0a', 'hex'))
    // tinyrpc's own text first, so a client matching it still matches; then the code a real tinyrpc would send.
    expect([r.errCode, r.errInfo]).toEqual([10_000_003, 'faild to parse request data, request.name:[makeOrderRequest] (rpcdiag serve; real tinyrpc sends this with err_code 10000004)'])
  })

  it('routes both Service.method and pkg.Service.method (split at the last dot)', () => {
    const s = new Dispatcher({schema: shop})
    expect(s.dispatch('shop.Order.makeOrder', new Uint8Array(0)).errCode).toBe(0)
    expect(s.dispatch('Order.cancel', new Uint8Array(0)).errCode).toBe(0)
    expect(s.dispatch('shop.Nope.cancel', new Uint8Array(0)).errInfo).toBe('not found service_name:[shop.Nope]')
  })

  it('answers any Service.method with an empty message when there is no schema', () => {
    const r = new Dispatcher().dispatch('Anything.goes', Buffer.from('ff', 'hex'))
    expect([r.errCode, r.pbData.length]).toEqual([0, 0])
    expect(new Dispatcher().dispatch('nodot', new Uint8Array(0)).errCode).toBe(10_000_010)
  })
})

describe('scripted responses', () => {
  it('ships examples/order-responses.json: 20230514 when price >= 10, short balance otherwise', () => {
    const parsed = parseResponses(readFileSync('examples/order-responses.json', 'utf8'), order)
    if (!parsed.ok) throw parsed.error
    const d = new Dispatcher({schema: order, script: parsed.value})
    const rich = d.dispatch('Order.makeOrder', request(order, 'Order.makeOrder', {price: 10, goods: 'apple'}))
    expect(responseJson(order, 'Order.makeOrder', rich.pbData)).toEqual({ret_code: 0, res_info: '', order_id: '20230514'})
    expect(rich.rule).toBe(1)
    const poor = d.dispatch('Order.makeOrder', request(order, 'Order.makeOrder', {price: 9}))
    expect(responseJson(order, 'Order.makeOrder', poor.pbData)).toEqual({ret_code: -1, res_info: 'short balance', order_id: ''})
    expect(poor.rule).toBe(2)
  })

  it('ships examples/query-responses.json for tinyrpc QueryService', () => {
    const parsed = parseResponses(readFileSync('examples/query-responses.json', 'utf8'), query)
    if (!parsed.ok) throw parsed.error
    const d = new Dispatcher({schema: query, script: parsed.value})
    const name = d.dispatch('QueryService.query_name', request(query, 'QueryService.query_name', {id: 2}))
    expect(responseJson(query, 'QueryService.query_name', name.pbData)).toMatchObject({name: 'ikerli'})
    expect(d.dispatch('QueryService.query_name', request(query, 'QueryService.query_name', {id: 5000})).delayMs).toBe(2000)
    expect(d.dispatch('QueryService.query_name', request(query, 'QueryService.query_name', {type: -1})).noReply).toBe(true)
    const age = d.dispatch('QueryService.query_age', new Uint8Array(0))
    expect(responseJson(query, 'QueryService.query_age', age.pbData)).toMatchObject({age: 100})
  })

  it('matches every operator on nested and repeated-free paths', () => {
    const s = script(shop, {
      'shop.Order.makeOrder': [
        {when: {goods: {$regex: '^app'}, price: {$lt: 5}}, response: {res_info: 'regex+lt'}},
        {when: {color: 'RED'}, response: {res_info: 'enum eq'}},
        {when: {count: {$gt: 9007199254740991}}, response: {res_info: 'big'}},
        {when: {name: {$exists: true}}, response: {res_info: 'exists'}},
        {when: {price: {$in: [7, 8]}}, response: {res_info: 'in'}},
        {when: {price: {$nin: [0, 1, 2, 3]}, urgent: {$ne: true}}, response: {res_info: 'nin+ne'}},
        {response: {res_info: 'default'}},
      ],
    })
    const d = new Dispatcher({schema: shop, script: s})
    const ask = (json: unknown) => responseJson(shop, 'Order.makeOrder', d.dispatch('shop.Order.makeOrder', request(shop, 'Order.makeOrder', json)).pbData).res_info
    expect(ask({goods: 'apple', price: 1})).toBe('regex+lt')
    expect(ask({goods: 'apple', price: 5, color: 'RED'})).toBe('enum eq')
    expect(ask({count: '9007199254740993'})).toBe('big')
    expect(ask({name: ''})).toBe('exists')
    expect(ask({price: 8})).toBe('in')
    expect(ask({price: 4})).toBe('nin+ne')
    expect(ask({price: 4, urgent: true})).toBe('default')
  })

  it('scripts errors, delays and silence per rule; global faults win over the script', () => {
    const s = script(order, {'Order.makeOrder': [{when: {price: 0}, err_code: 42, err_info: 'no price'}, {delay_ms: 30, response: {order_id: 'x'}}]})
    const d = new Dispatcher({schema: order, script: s, faults: {delayMs: 5}})
    const e = d.dispatch('Order.makeOrder', new Uint8Array(0))
    expect([e.errCode, e.errInfo, e.pbData.length]).toEqual([42, 'no price', 0])
    expect(d.dispatch('Order.makeOrder', request(order, 'Order.makeOrder', {price: 1})).delayMs).toBe(35)
    const silent = new Dispatcher({schema: order, script: s, faults: {noReply: true}}).dispatch('Order.makeOrder', new Uint8Array(0))
    expect(silent.noReply).toBe(true)
    const forced = new Dispatcher({schema: order, script: s, faults: {errCode: 7, errInfo: 'down'}}).dispatch('Order.makeOrder', new Uint8Array(0))
    expect([forced.errCode, forced.errInfo, forced.pbData.length]).toEqual([7, 'down', 0])
  })

  it('answers a method without rules, or with no rule matching, with every field at its default', () => {
    const s = script(order, {'Order.makeOrder': [{when: {price: 1}, response: {order_id: 'one'}}]})
    const d = new Dispatcher({schema: order, script: s})
    const r = d.dispatch('Order.makeOrder', request(order, 'Order.makeOrder', {price: 2}))
    expect(responseJson(order, 'Order.makeOrder', r.pbData)).toEqual({ret_code: 0, res_info: '', order_id: ''})
  })

  it('checks the file against the schema at load time', () => {
    const bad: Array<[unknown, string]> = [
      [{'Order.makeOrdr': {}}, 'Did you mean Order.makeOrder?'],
      [{'Order.makeOrder': {order_idd: 'x'}}, 'has no field "order_idd" (did you mean "order_id"?)'],
      [{'Order.makeOrder': {ret_code: 'x'}}, 'ret_code: expected int32'],
      [{'Order.makeOrder': [{when: {prise: 1}}]}, 'makeOrderRequest has no field "prise" (did you mean "price"?)'],
      [{'Order.makeOrder': [{when: {price: {$gte: 'x'}}}]}, '$gte for "price" needs a number'],
      [{'Order.makeOrder': [{when: {price: {$near: 1}}}]}, 'unknown operator "$near"'],
      [{'Order.makeOrder': [{when: {goods: {$regex: '('}}}]}, 'bad $regex'],
      [{'Order.makeOrder': [{respons: {}}]}, 'unknown key "respons"'],
      [{'Order.makeOrder': [{delay_ms: -1}]}, 'delay_ms must be a number >= 0'],
      [{'Order.makeOrder': 5}, 'needs a response object or a list of rules'],
      [[], 'must hold a JSON object'],
    ]
    for (const [doc, text] of bad) {
      const r = parseResponses(JSON.stringify(doc), order, 'r.json')
      expect(r.ok, JSON.stringify(doc)).toBe(false)
      if (r.ok) continue
      expect(r.error.code).toBe('BAD_RESPONSES')
      expect(r.error.message).toContain(text)
    }
    const notJson = parseResponses('{', order, 'r.json')
    expect(!notJson.ok && notJson.error.message).toContain('r.json is not valid JSON')
  })
})
