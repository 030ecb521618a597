import {resolve} from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {portFlag} from '../src/cli/port-flag.js'
import {protoFlags, schemaFromFlags} from '../src/cli/proto-flags.js'
import {UsageError} from '../src/errors.js'
import type {InstallGuide, ListedPort} from '../src/wireshark/index.js'

/**
 * `rpcdiag wireshark`: write a TinyPB dissector (one Lua file) generated from
 * what rpcdiag knows, and say how to install it. Thin: flags -> src/wireshark
 * -> src/render/wireshark.
 */
export default class Wireshark extends BaseCommand {
  static override summary = 'Write a TinyPB dissector for Wireshark and tshark (one Lua file), payloads decoded from your .proto'

  static override description = `The dissector shows every TinyPB field, reassembles frames split over TCP segments, takes several frames from one segment, skips garbage to the next frame as the C++ servers do, and pairs requests with replies by msg_id (tinypb.response_in, tinypb.request_in, tinypb.time). Expert infos flag malformed frames, frames that would crash or misroute rocket or tinyrpc, requests left unanswered, duplicate and orphan replies, and err_code != 0 with its rocket and tinyrpc names.

It registers on the --port values (default: 12345 rocket, 39999 tinyrpc and $RPCDIAG_TINYPB_PORTS) and as a heuristic on every other TCP port. With --proto, pb_data goes to Wireshark's protobuf dissector with the request or response type of its method, so filters like pbf.makeOrderRequest.price > 50 work; without, Wireshark shows it schema-less.

Wireshark 4.0 or later. The file is plain, commented Lua: read it, edit it.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --proto examples/order.proto -o ~/.local/lib/wireshark/plugins/tinypb.lua',
    '<%= config.bin %> <%= command.id %> --proto order.proto -I protos --port 8000-8010 -o -',
  ]

  static override enableJsonFlag = true

  static override flags = {
    ...protoFlags,
    port: portFlag('TCP port or range to register on (default: 12345, 39999 and $RPCDIAG_TINYPB_PORTS)'),
    output: Flags.string({char: 'o', description: 'file to write; - writes the Lua to stdout (and the instructions to stderr)', default: 'tinypb.lua'}),
  }

  public async run(): Promise<InstallGuide> {
    const {flags} = await this.parse(Wireshark)
    const [ws, {parsePortRanges, tinypbPorts}, {protoSourcesFrom}, {renderInstallGuide}, {colorsFor}] = await Promise.all([
      import('../src/wireshark/index.js'),
      import('../src/net/index.js'),
      import('../src/rpc/proto/sources.js'),
      import('../src/render/wireshark.js'),
      import('../src/render/color.js'),
    ])

    let ports: ListedPort[]
    if (flags.port !== undefined && flags.port.length > 0) {
      const parsed = parsePortRanges(flags.port)
      if (!parsed.ok) this.fail(parsed.error)
      ports = parsed.value.map((r) => ({...r, why: '--port'}))
    } else {
      ports = [...tinypbPorts(process.env)].map(([port, why]) => ({from: port, to: port, why}))
    }

    const loaded = await schemaFromFlags(flags)
    if (!loaded.ok) this.fail(loaded.error)
    const importPaths = protoSourcesFrom({proto: flags.proto, importPath: flags['import-path']}).importPaths.map((d) => resolve(d))

    const spec = ws.dissectorSpec({
      version: this.config.version,
      commandLine: ['rpcdiag', this.id ?? 'wireshark', ...this.argv].join(' '),
      ports,
      schema: loaded.value,
      importPaths,
    })
    const lua = ws.generateDissector(spec)
    const toStdout = flags.output === '-'
    if (toStdout && this.jsonEnabled()) this.fail(new UsageError('BAD_FLAGS', '--json and -o - both write to stdout: give -o FILE'))
    if (toStdout) this.log(lua.replace(/\n$/, ''))
    else {
      const written = ws.writeDissector(flags.output, lua)
      if (!written.ok) this.fail(written.error)
    }

    const guide = ws.installGuide(spec, toStdout ? null : flags.output)
    if (!this.jsonEnabled()) {
      const lines = renderInstallGuide(guide, colorsFor(toStdout ? process.stderr : process.stdout))
      for (const line of lines) (toStdout ? this.logToStderr(line) : this.log(line))
    }
    return guide
  }
}
