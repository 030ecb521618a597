import {type DirectOutcome, type DirectStreams, runDirect} from '../cli/direct-run.js'
import {fromSsFlags, withWatchDefault} from '../cli/sockets-argv.js'
import {keepYoungGenerationSmall} from '../net/young-generation.js'
import {writeJsonLine} from '../render/json-chunks.js'
import {socketsArgs, socketsFlags} from './flags.js'
import {runSocketsCommand} from './run-sockets-command.js'

/**
 * The entry of dist/direct/sockets.cjs, which bin/run.js loads in place of
 * oclif for `rpcdiag sockets ...` when nothing oclif would load could change
 * the run (src/cli/direct-run.ts): oclif's Config and plugins are most of the
 * time of a command that reads a few hundred sockets. One snapshot only:
 * --watch, which runs until stopped, and --netns, which starts a process in
 * the namespace, are left to oclif's way. Not exported through index.ts: only
 * the build bundles it.
 */
export function run(argv: string[], bin: string, out: DirectStreams): Promise<DirectOutcome> {
  return runDirect(
    {
      id: 'sockets',
      args: socketsArgs,
      flags: socketsFlags,
      strict: false,
      prepareArgv(raw) {
        const prepared = fromSsFlags(withWatchDefault(raw))
        if (!prepared.ok) throw prepared.error
        return prepared.value
      },
      json: {print: writeJsonLine},
      leaveToOclif: (flags) => flags.watch !== undefined || flags.netns !== undefined,
      run: (_args, flags, io, parsed) => {
        // One snapshot, its rows alive until printed (src/net/young-generation.ts).
        keepYoungGenerationSmall()
        return runSocketsCommand(flags, parsed.words, {...io, json: parsed.json, logJson: (json) => writeJsonLine(out.stdout, json)})
      },
    },
    argv,
    bin,
    out,
  )
}
