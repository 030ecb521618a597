import {colorChoice} from '../cli/color-flag.js'
import type {CommandIo} from '../cli/command-io.js'
import {EXIT_SERVER_ERROR, EXIT_TRANSPORT} from '../cli/exit-codes.js'
import type {NetAddr} from '../net/net-addr.js'
import type {CallResult} from '../rpc/call.js'
import type {PreparedCall} from '../rpc/call-prepare.js'
import type {CallFlags} from './flags.js'

/** One call: sent, answered (or not), printed; a transport or server error ends in io.error with its exit code. */
export async function runOneCall(addr: NetAddr, prepared: PreparedCall, flags: CallFlags, io: CommandIo): Promise<CallResult> {
  const {runCall} = await import('../rpc/call.js')
  // Connecting and sending start now; what reads and prints the answer is
  // made ready while the kernel and the server do their part: protobufjs
  // generates the response type's decoder (Type#setup), the renderers load.
  const answer = runCall({addr, prepared, timeoutMs: flags.timeout, connectTimeoutMs: flags['connect-timeout']})
  try {
    prepared.method?.responseType.setup()
  } catch {
    // Then decoding the answer meets the same failure, and reports it as such.
  }
  const [render, {colorsFor}] = await Promise.all([import('../render/call-result.js'), import('../render/color.js')])
  const result = await answer
  if (flags.format === 'json') io.log(JSON.stringify(render.callResultToJson(result, {verbose: flags.verbose}), null, 2))
  else if (result.status !== 'transport-error' || flags.verbose) {
    for (const line of render.renderCallResult(result, {colors: colorsFor(process.stdout, process.env, colorChoice(flags)), verbose: flags.verbose})) io.log(line)
  }
  if (result.status === 'transport-error') {
    // The likely causes are the diagnosis, printed with the result; the error itself is one line.
    const [line, ...causes] = render.renderCallFailure(result).split('\n')
    if (flags.format !== 'json') for (const c of causes) io.log(c)
    io.error(line, {exit: EXIT_TRANSPORT, code: result.error?.code ?? 'INTERNAL'})
  }
  if (result.status === 'server-error') {
    const r = result.response!
    io.error(`server answered err_code ${r.errCode} ${r.errName}${r.errInfo === '' ? '' : `: ${r.errInfo}`}`, {exit: EXIT_SERVER_ERROR, code: 'SERVER_ERROR'})
  }
  return result
}
