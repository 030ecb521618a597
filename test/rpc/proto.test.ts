import {describe, expect, it} from 'vitest'

import {closest, loadSchema, type ProtoSchema, protoSourcesFrom} from '../../src/rpc/proto/index.js'
import {MAKE_ORDER_REPLY, MAKE_ORDER_REQUEST} from '../fixtures/tinypb-frames.js'
import {decodeFrame} from '../../decoders/tinypb/index.js'

const FIX = 'test/rpc/fixtures'

function load(protoFiles: string[], importPaths: string[] = []): ProtoSchema {
  const r = loadSchema({protoFiles, importPaths})
  if (!r.ok) throw r.error
  return r.value
}

const order = () => load(['examples/order.proto'])
const shop = () => load(['shop/shop.proto'], [FIX])

function method(schema: ProtoSchema, name: string) {
  const m = schema.findMethod(name)
  if (!m.ok) throw m.error
  return m.value
}

describe('loading .proto files', () => {
  it('loads a file given relative to the working directory', () => {
    expect(order().methods.map((m) => m.fullName)).toEqual(['Order.makeOrder'])
  })

  it('finds a file and its imports under an import path, like protoc -I', () => {
    const s = shop()
    expect(s.methods.map((m) => m.fullName)).toEqual(['shop.Order.makeOrder', 'shop.Order.cancel', 'shop.Stream.watch'])
    expect(s.files[0]).toMatch(/test\/rpc\/fixtures\/shop\/shop\.proto$/)
  })

  it('takes RPCDIAG_PROTO and RPCDIAG_IMPORT_PATH as defaults; --proto replaces, -I comes first', () => {
    const env = {RPCDIAG_PROTO: 'a.proto:b.proto', RPCDIAG_IMPORT_PATH: '/x:/y'}
    expect(protoSourcesFrom({}, env)).toEqual({protoFiles: ['a.proto', 'b.proto'], importPaths: ['/x', '/y']})
    expect(protoSourcesFrom({proto: ['c.proto'], importPath: ['/z']}, env)).toEqual({protoFiles: ['c.proto'], importPaths: ['/z', '/x', '/y']})
    expect(protoSourcesFrom({}, {})).toEqual({protoFiles: [], importPaths: []})
  })

  it('fails with typed errors: no file, missing file, missing import, syntax error, bad import path', () => {
    const codes = [
      loadSchema({protoFiles: [], importPaths: []}),
      loadSchema({protoFiles: ['nope.proto'], importPaths: []}),
      loadSchema({protoFiles: [`${FIX}/missing-import.proto`], importPaths: []}),
      loadSchema({protoFiles: [`${FIX}/broken.proto`], importPaths: []}),
      loadSchema({protoFiles: ['examples/order.proto'], importPaths: ['no/such/dir']}),
    ].map((r) => (r.ok ? 'ok' : r.error.code))
    expect(codes).toEqual(['NO_PROTO', 'PROTO_NOT_FOUND', 'PROTO_LOAD', 'PROTO_LOAD', 'IMPORT_PATH_NOT_FOUND'])
    const missing = loadSchema({protoFiles: [`${FIX}/missing-import.proto`], importPaths: []})
    expect(!missing.ok && missing.error.message).toContain('nowhere/none.proto')
  })

  it('loads the same file named twice only once', () => {
    expect(load(['examples/order.proto', './examples/order.proto']).methods).toHaveLength(1)
  })
})

describe('method lookup', () => {
  it('accepts Service.method, pkg.Service.method and pkg.Service/method', () => {
    const s = shop()
    for (const name of ['Order.makeOrder', 'shop.Order.makeOrder', 'shop.Order/makeOrder', '.shop.Order.makeOrder']) {
      const m = method(s, name)
      expect(m.fullName).toBe('shop.Order.makeOrder')
      expect(m.wireName).toBe('shop.Order.makeOrder')
    }
  })

  it('fails on an unknown method with the methods that exist and the closest one', () => {
    const r = order().findMethod('Order.makeOrdr')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('UNKNOWN_METHOD')
    expect(r.error.message).toContain('Did you mean Order.makeOrder?')
    expect(r.error.message).toContain('Methods: Order.makeOrder')
  })

  it('prefers a full name, and calls a simple name shared by two packages ambiguous', () => {
    const s = load(['examples/order.proto', 'shop/shop.proto', 'other/warehouse.proto'], [FIX])
    expect(method(s, 'Order.makeOrder').fullName).toBe('Order.makeOrder')
    expect(method(s, 'shop.Order.makeOrder').fullName).toBe('shop.Order.makeOrder')
    const r = s.findMethod('Order.cancel')
    expect(!r.ok && r.error.code).toBe('AMBIGUOUS_METHOD')
    expect(!r.ok && r.error.message).toContain('shop.Order.cancel, warehouse.Order.cancel')
    expect(method(s, 'warehouse.Order.cancel').requestType.name).toBe('Req')
  })

  it('suggests by edit distance and by a missing package prefix', () => {
    expect(closest('Order.makeorder', ['Order.makeOrder', 'Query.q'])).toEqual(['Order.makeOrder'])
    expect(closest('Order.cancel', ['shop.Order.cancel'])).toEqual(['shop.Order.cancel'])
    expect(closest('zzz', ['Order.makeOrder'])).toEqual([])
  })

  it('finds messages, enums and services for describe', () => {
    const s = shop()
    const kinds = ['Req', 'shop.Color', 'common.Money', 'Stream'].map((n) => {
      const r = s.findSymbol(n)
      return r.ok ? r.value.constructor.name : r.error.code
    })
    expect(kinds).toEqual(['Type', 'Enum', 'Type', 'Service'])
    const bad = s.findSymbol('Rek')
    expect(!bad.ok && bad.error.message).toContain('Did you mean shop.Req')
  })
})

describe('JSON to protobuf, strictly', () => {
  it('encodes the reference makeOrder request byte for byte', () => {
    const s = order()
    const enc = s.encodeJson(method(s, 'Order.makeOrder'), 'request', {price: 100, goods: 'apple'})
    const frame = decodeFrame(MAKE_ORDER_REQUEST, 0, MAKE_ORDER_REQUEST.length)
    expect(frame.kind).toBe('frame')
    if (!enc.ok || frame.kind !== 'frame') throw new Error('setup')
    expect(Buffer.from(enc.value.bytes).equals(frame.frame.pbData)).toBe(true)
  })

  it('takes every proto3 JSON form: camelCase names, 64-bit strings, base64 bytes, enum names and numbers, maps, oneofs', () => {
    const s = shop()
    const m = method(s, 'Order.makeOrder')
    const enc = s.encodeJson(m, 'request', {
      price: '7',
      goods: 'x',
      items: [{big: '9007199254740993', blob: 'AQID', cost: {currency: 'EUR', cents: -5}}, {big: 3}],
      stock: {apple: 2},
      color: 'GREEN',
      name: 'n',
      ratio: 'NaN',
      count: '18446744073709551615',
      urgent: true,
      small: 4294967295,
    })
    if (!enc.ok) throw enc.error
    const back = s.decode(m, 'request', enc.value.bytes)
    if (!back.ok) throw back.error
    expect(back.value.json).toEqual({
      price: 7,
      goods: 'x',
      items: [
        {big: '9007199254740993', blob: 'AQID', cost: {currency: 'EUR', cents: '-5'}},
        {big: '3', blob: '', cost: null},
      ],
      stock: {apple: 2},
      color: 'GREEN',
      name: 'n',
      ratio: 'NaN',
      count: '18446744073709551615',
      urgent: true,
      small: 4294967295,
    })
    const byNumber = s.encodeJson(m, 'request', {color: 2, retCode: undefined})
    expect(byNumber.ok).toBe(false)
    const camel = s.encodeJson(method(s, 'Order.makeOrder'), 'response', {retCode: 3, res_info: 'i'})
    if (!camel.ok) throw camel.error
    expect(s.decode(m, 'response', camel.value.bytes).ok && s.decode(m, 'response', camel.value.bytes)).toMatchObject({value: {json: {ret_code: 3, res_info: 'i'}}})
  })

  it('reports a wrong type for each kind of field, all at once, as FIELD_TYPE', () => {
    const s = shop()
    const m = method(s, 'Order.makeOrder')
    const cases: Array<[Record<string, unknown>, string]> = [
      [{price: 'abc'}, 'Req.price: expected int32'],
      [{price: 1.5}, 'Req.price: expected int32'],
      [{price: 2 ** 31}, 'from -2147483648 to 2147483647'],
      [{small: -1}, 'Req.small: expected uint32'],
      [{goods: 5}, 'Req.goods: expected string'],
      [{urgent: 'true'}, 'Req.urgent: expected bool'],
      [{count: '-1'}, 'Req.count: expected uint64'],
      [{count: 1.5}, 'Req.count: expected uint64'],
      [{items: {}}, 'Req.items: expected a JSON array'],
      [{items: [5]}, 'Req.items[0]: expected a JSON object'],
      [{items: [{blob: '***'}]}, 'Req.items[0].blob: expected bytes'],
      [{color: 'BLUE'}, 'not a value of enum Color'],
      [{stock: []}, 'expected a JSON object for map'],
      [{stock: {a: 'x'}}, 'Req.stock["a"]: expected int32'],
      [{ratio: 'fast'}, 'Req.ratio: expected double'],
    ]
    for (const [json, text] of cases) {
      const r = s.encodeJson(m, 'request', json)
      expect(r.ok, JSON.stringify(json)).toBe(false)
      if (r.ok) continue
      expect(r.error.code, JSON.stringify(json)).toBe('FIELD_TYPE')
      expect(r.error.message).toContain(text)
    }
    const many = s.encodeJson(m, 'request', {price: 'a', goods: 1})
    expect(!many.ok && many.error.message).toMatch(/price.*; .*goods/)
  })

  it('fails on an unknown field with the closest name, unless unknown fields are allowed', () => {
    const s = order()
    const m = method(s, 'Order.makeOrder')
    const r = s.encodeJson(m, 'request', {prise: 1, goods: 'a'})
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('UNKNOWN_FIELD')
    expect(r.error.message).toContain('makeOrderRequest has no field "prise" (did you mean "price"?)')
    const allowed = s.encodeJson(m, 'request', {prise: 1, goods: 'a'}, {allowUnknownFields: true})
    expect(allowed.ok && allowed.value.dropped).toEqual(['makeOrderRequest.prise'])
  })

  it('refuses two members of one oneof and a body that is not an object', () => {
    const s = shop()
    const m = method(s, 'Order.makeOrder')
    const both = s.encodeJson(m, 'request', {name: 'a', number: 1})
    expect(!both.ok && both.error.code).toBe('ONEOF_CONFLICT')
    for (const v of [[], 'x', 3, null]) {
      const r = s.encodeJson(m, 'request', v)
      expect(!r.ok && r.error.code).toBe('BAD_JSON')
    }
  })
})

describe('protobuf to JSON', () => {
  it('shows zero values and keeps .proto field order', () => {
    const s = order()
    const m = method(s, 'Order.makeOrder')
    const frame = decodeFrame(MAKE_ORDER_REPLY, 0, MAKE_ORDER_REPLY.length)
    if (frame.kind !== 'frame') throw new Error('setup')
    const d = s.decode(m, 'response', frame.frame.pbData)
    if (!d.ok) throw d.error
    expect(JSON.stringify(d.value.json)).toBe('{"ret_code":0,"res_info":"","order_id":"20230514"}')
    expect(d.value.typeName).toBe('makeOrderResponse')
  })

  it('reports fields the schema does not know, with their number and wire type', () => {
    const s = order()
    // order_id "x" (field 3), then field 9 varint 1 and field 4 fixed32: a newer server.
    const bytes = Buffer.from('1a01784801' + '2501000000', 'hex')
    const d = s.decode(method(s, 'Order.makeOrder'), 'response', bytes)
    if (!d.ok) throw d.error
    expect(d.value.json.order_id).toBe('x')
    expect(d.value.unknownFields.map((u) => [u.path, u.fieldNumber, u.wireType])).toEqual([
      ['makeOrderResponse', 9, 0],
      ['makeOrderResponse', 4, 5],
    ])
  })

  it('returns PB_DECODE for bytes that do not parse, never throws', () => {
    const s = order()
    for (const hex of ['0a', '1aff', '0f', 'ffffffffffffffffffffff']) {
      const d = s.decode(method(s, 'Order.makeOrder'), 'response', Buffer.from(hex, 'hex'))
      expect(d.ok, hex).toBe(false)
      if (!d.ok) expect(d.error.code).toBe('PB_DECODE')
    }
  })

  it('decodes a frame payload by wire method name and role, for sniff', () => {
    const s = order()
    const req = decodeFrame(MAKE_ORDER_REQUEST, 0, MAKE_ORDER_REQUEST.length)
    if (req.kind !== 'frame') throw new Error('setup')
    const d = s.decodePayload(req.frame.methodName, 'request', req.frame.pbData)
    expect(d.ok && d.value.json).toEqual({price: 100, goods: 'apple'})
    expect(d.ok && d.value.method.fullName).toBe('Order.makeOrder')
    const unknown = s.decodePayload('Nope.x', 'request', req.frame.pbData)
    expect(!unknown.ok && unknown.error.code).toBe('UNKNOWN_METHOD')
  })
})
