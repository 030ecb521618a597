import {describe, expect, it} from 'vitest'

import Methods, {type MethodsResult} from '../../commands/methods.js'
import {runCli} from '../rpc/helpers/cli-process.js'
import {runCommand} from '../rpc/helpers/run-command.js'

describe('rpcdiag methods', () => {
  it('lists every method with request and response types', async () => {
    const out = await runCommand<MethodsResult>(Methods, ['--proto', 'examples/order.proto', '--proto', 'examples/query.proto'])
    expect(out.exitCode).toBe(0)
    expect(out.stdout.split('\n').slice(0, 4)).toEqual([
      'METHOD                   REQUEST           RESPONSE',
      'Order.makeOrder          makeOrderRequest  makeOrderResponse',
      'QueryService.query_name  queryNameReq      queryNameRes',
      'QueryService.query_age   queryAgeReq       queryAgeRes',
    ])
    expect(out.result).toMatchObject({methods: [{method: 'Order.makeOrder', wireName: 'Order.makeOrder'}, {}, {}]})
  })

  it('warns that rocket cannot route a method of a packaged .proto', async () => {
    const out = await runCommand<MethodsResult>(Methods, ['--proto', 'shop/shop.proto', '-I', 'test/rpc/fixtures'])
    expect(out.stdout).toContain('shop.Order.makeOrder: method_name "shop.Order.makeOrder" has a package: rocket splits at the first dot')
    expect(out.result && 'methods' in out.result && out.result.methods[0].rocketWarning).toContain('rocket')
  })

  it('takes the name after --proto too, like grpcurl: repeatable flags take one value each', async () => {
    const after = await runCommand<MethodsResult>(Methods, ['--proto', 'examples/order.proto', 'Order.makeOrder'])
    const before = await runCommand<MethodsResult>(Methods, ['Order.makeOrder', '--proto', 'examples/order.proto'])
    expect(after.exitCode).toBe(0)
    expect(after.stdout).toBe(before.stdout)
  })

  it('describes a method with its request and response messages', async () => {
    const out = await runCommand<MethodsResult>(Methods, ['Order.makeOrder', '--proto', 'examples/order.proto'])
    expect(out.stdout).toBe(
      [
        'Order.makeOrder is a method:',
        'rpc makeOrder ( .makeOrderRequest ) returns ( .makeOrderResponse );',
        'method_name on the wire: Order.makeOrder',
        '',
        'makeOrderRequest is a message:',
        'message makeOrderRequest {',
        '  int32 price = 1;',
        '  string goods = 2;',
        '}',
        '',
        'makeOrderResponse is a message:',
        'message makeOrderResponse {',
        '  int32 ret_code = 1;',
        '  string res_info = 2;',
        '  string order_id = 3;',
        '}',
        '',
      ].join('\n'),
    )
  })

  it('describes messages with maps, oneofs, enums and imported types, and services with streams', async () => {
    const req = await runCommand<MethodsResult>(Methods, ['shop.Req', '--proto', 'shop/shop.proto', '-I', 'test/rpc/fixtures'])
    expect(req.stdout).toContain('  repeated .shop.Item items = 3;\n  map<string, int32> stock = 4;\n  .shop.Color color = 5;')
    expect(req.stdout).toContain('  oneof pick {\n    string name = 6;\n    int32 number = 7;\n  }')
    const svc = await runCommand<MethodsResult>(Methods, ['Stream', '--proto', 'shop/shop.proto', '-I', 'test/rpc/fixtures'])
    expect(svc.stdout).toContain('rpc watch ( .shop.Req ) returns ( stream .shop.Res );')
    const en = await runCommand<MethodsResult>(Methods, ['Color', '--proto', 'shop/shop.proto', '-I', 'test/rpc/fixtures'])
    expect(en.stdout).toContain('enum Color {\n  COLOR_UNSET = 0;\n  RED = 1;\n  GREEN = 2;\n}')
  })

  it('exits 2 on an unknown name with the closest method, and on a missing .proto', async () => {
    const typo = await runCommand(Methods, ['Order.makeOrdr', '--proto', 'examples/order.proto'])
    expect([typo.exitCode, typo.error?.message]).toEqual([2, 'unknown method "Order.makeOrdr". Did you mean Order.makeOrder? Methods: Order.makeOrder'])
    const none = await runCommand(Methods, [])
    expect([none.exitCode, none.error?.message]).toEqual([2, 'no .proto file given: use --proto FILE (or set RPCDIAG_PROTO)'])
  })

  it('prints JSON with --json, as a process', async () => {
    const p = await runCli(['methods', 'makeOrderResponse', '--proto', 'examples/order.proto', '--json'])
    expect(p.code).toBe(0)
    expect(JSON.parse(p.stdout)).toEqual({
      describe: [
        {
          kind: 'message',
          fullName: 'makeOrderResponse',
          file: expect.stringMatching(/examples\/order\.proto$/),
          fields: [
            {name: 'ret_code', number: 1, type: 'int32', label: 'singular', jsonName: 'retCode'},
            {name: 'res_info', number: 2, type: 'string', label: 'singular', jsonName: 'resInfo'},
            {name: 'order_id', number: 3, type: 'string', label: 'singular', jsonName: 'orderId'},
          ],
        },
      ],
    })
  })
})
