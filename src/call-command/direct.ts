import {runDirect} from '../cli/direct-run.js'
import {callArgs, callFlags} from './flags.js'
import {runCallCommand} from './run-call-command.js'

/**
 * The entry of dist/direct/call.cjs, which bin/run.js loads in place of oclif
 * for `rpcdiag call ...` when nothing oclif would load could change the run
 * (src/cli/direct-run.ts). Not exported through index.ts: only the build
 * bundles it.
 */
export function run(argv: string[], bin: string): Promise<void> {
  return runDirect({id: 'call', args: callArgs, flags: callFlags, run: runCallCommand}, argv, bin)
}
