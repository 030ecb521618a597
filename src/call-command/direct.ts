import {type DirectOutcome, type DirectStreams, runDirect} from '../cli/direct-run.js'
import {callArgs, callFlags} from './flags.js'
import {runOneCall} from './one-call.js'
import {isLoadTest, prepareCommandCall} from './prepare.js'

/**
 * The entry of dist/direct/call.cjs, which bin/run.js loads in place of oclif
 * for `rpcdiag call ...` when nothing oclif would load could change the run
 * (src/cli/direct-run.ts). One call only: a load test, which runs for seconds
 * anyway, is left to oclif's way, so its modules (progress bar, HTML report)
 * stay out of this bundle. Not exported through index.ts: only the build
 * bundles it.
 */
export function run(argv: string[], bin: string, out: DirectStreams): Promise<DirectOutcome> {
  return runDirect(
    {
      id: 'call',
      args: callArgs,
      flags: callFlags,
      leaveToOclif: isLoadTest,
      async run(args, flags, io) {
        const {addr, prepared} = await prepareCommandCall(args, flags, io)
        return runOneCall(addr, prepared, flags, io)
      },
    },
    argv,
    bin,
    out,
  )
}
