import type {CommandIo} from '../cli/command-io.js'
import type {CallResult} from '../rpc/call.js'
import type {LoadReport} from '../rpc/load-test.js'
import type {CallArgs, CallFlags} from './flags.js'
import {runOneCall} from './one-call.js'
import {isLoadTest, prepareCommandCall} from './prepare.js'

/**
 * `rpcdiag call` from its parsed argument and flags: one call, or a load test
 * with --repeat/--duration. Modules load lazily: protobufjs only when a
 * .proto is given, the load test's only for one, so a one-shot call starts fast.
 */
export async function runCallCommand(args: CallArgs, flags: CallFlags, io: CommandIo): Promise<CallResult | LoadReport> {
  const {addr, prepared} = await prepareCommandCall(args, flags, io)
  if (!isLoadTest(flags)) return runOneCall(addr, prepared, flags, io)
  const {runLoadTest} = await import('./load-test.js')
  return runLoadTest(addr, prepared, flags, io)
}
