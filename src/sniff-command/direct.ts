import {type DirectOutcome, type DirectStreams, runDirect} from '../cli/direct-run.js'
import {sniffFlags} from './flags.js'
import {sniffOptions} from './from-flags.js'
import {runSniffCommand} from './run-sniff-command.js'

/**
 * The entry of dist/direct/sniff.cjs, which bin/run.js loads in place of
 * oclif for `rpcdiag sniff ...` when nothing oclif would load could change
 * the run (src/cli/direct-run.ts): oclif's Config and plugins are a quarter
 * of a one-shot `sniff --read` of a small file. A file read only (--read,
 * stdin with `--read -`): a live capture, which runs until stopped (and
 * --list-interfaces, which goes with it), and --metrics, which serves HTTP
 * until the read ends, are left to oclif's way, where their start-up is
 * nothing beside their run and their signals, capture processes and worker
 * thread need no second proof of behaving alike. Not exported through
 * index.ts: only the build bundles it.
 */
export function run(argv: string[], bin: string, out: DirectStreams): Promise<DirectOutcome> {
  return runDirect(
    {
      id: 'sniff',
      args: {},
      flags: sniffFlags,
      strict: false,
      leaveToOclif: (flags) => flags.read === undefined || flags['list-interfaces'] || flags.metrics !== undefined,
      async run(_args, flags, io, parsed) {
        const o = await sniffOptions(flags, parsed.words, bin)
        if (!o.ok) throw o.error
        const r = await runSniffCommand(o.value.options, {stdout: process.stdout, stderr: process.stderr, log: io.logToStderr, env: process.env, color: o.value.color})
        if (!r.ok) throw r.error
        return r.value
      },
    },
    argv,
    bin,
    out,
  )
}
