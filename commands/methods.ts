import {Args, Flags} from '@oclif/core'

import {BaseCommand, colorChoice, colorFlags, protoFlags, schemaFromFlags} from '../src/cli/index.js'
import type {MethodRow} from '../src/render/methods-list.js'
import type {SymbolDescription} from '../src/rpc/proto/describe.js'

export type MethodsResult = {methods: MethodRow[]} | {describe: SymbolDescription[]}

/**
 * `rpcdiag methods`: what the .proto files offer, like `grpcurl list` and
 * `grpcurl describe`. oclif's --json is enabled here (nothing else claims it).
 */
export default class Methods extends BaseCommand {
  static override summary = 'List services and methods of .proto files, or describe a service, method or message'

  static override description = `Without NAME: every method with its request and response types, and the method_name a C++ client sends (a package in the .proto makes it pkg.Service.method, which rocket cannot route).
With NAME (a service, method, message or enum): its definition as .proto source; for a method, its request and response messages too.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --proto examples/order.proto',
    '<%= config.bin %> <%= command.id %> Order.makeOrder --proto examples/order.proto',
    '<%= config.bin %> <%= command.id %> makeOrderRequest --proto examples/order.proto --json',
  ]

  static override enableJsonFlag = true

  static override args = {
    name: Args.string({description: 'service, method (Service.method), message or enum to describe'}),
  }

  static override flags = {
    ...protoFlags,
    ...colorFlags,
  }

  public async run(): Promise<MethodsResult> {
    const {args, flags} = await this.parse(Methods)
    const [{describeSymbol}, render, {colorsFor}, {peerSafety}] = await Promise.all([
      import('../src/rpc/proto/index.js'),
      import('../src/render/methods-list.js'),
      import('../src/render/color.js'),
      import('../decoders/tinypb/peer-safety.js'),
    ])
    const loaded = await schemaFromFlags(flags, {required: true})
    if (!loaded.ok) this.fail(loaded.error)
    const schema = loaded.value!
    const colors = colorsFor(process.stdout, process.env, colorChoice(flags))

    if (args.name === undefined) {
      const methods: MethodRow[] = schema.methods.map((m) => {
        const pkg = peerSafety({pkLen: 0, msgIdLen: 20, methodNameLen: m.wireName.length, errInfoLen: 0, methodName: m.wireName}).find(
          (f) => f.code === 'METHOD_HAS_PACKAGE',
        )
        return {
          method: m.fullName,
          wireName: m.wireName,
          requestType: m.requestType.fullName.replace(/^\./, ''),
          responseType: m.responseType.fullName.replace(/^\./, ''),
          file: m.file,
          ...(pkg === undefined ? {} : {rocketWarning: pkg.message}),
        }
      })
      for (const line of render.renderMethodList(methods, {colors})) this.log(line)
      return {methods}
    }

    const describe: SymbolDescription[] = []
    const method = schema.methods.some((m) => m.fullName === args.name || m.shortName === args.name) ? schema.findMethod(args.name) : undefined
    if (method?.ok) {
      const m = method.value
      describe.push(describeSymbol(m.requestType), describeSymbol(m.responseType))
      this.log(`${m.fullName} is a method:`)
      this.log(`rpc ${m.name} ( ${m.requestType.fullName} ) returns ( ${m.responseType.fullName} );`)
      this.log(colors.dim(`method_name on the wire: ${m.wireName}`))
    } else {
      const sym = schema.findSymbol(args.name)
      if (!sym.ok) {
        // A near-miss on a method name is likelier than one on a message: then say which methods are close.
        const asMethod = schema.findMethod(args.name)
        this.fail(!asMethod.ok && schema.suggestMethods(args.name).length > 0 ? asMethod.error : sym.error)
      }
      describe.push(describeSymbol(sym.value))
    }
    for (const [i, d] of describe.entries()) {
      if (i > 0 || method?.ok) this.log('')
      for (const line of render.renderSymbol(d)) this.log(line)
    }
    return {describe}
  }
}
