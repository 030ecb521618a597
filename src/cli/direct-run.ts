import {format} from 'node:util'

import {Errors, type Interfaces, Parser} from '@oclif/core'

import type {CommandIo} from './command-io.js'
import {errorLine, formatErrorLine} from './error-line.js'

/** A command as its direct run needs it: its id, argument and flag definitions, and its wiring. */
export interface DirectCommand<A extends Interfaces.ArgInput, F extends Interfaces.FlagInput> {
  readonly id: string
  readonly args: A
  readonly flags: F
  readonly run: (args: Interfaces.InferredArgs<A>, flags: Interfaces.InferredFlags<F>, io: CommandIo) => Promise<unknown>
  /** Parsed flags whose run is left to oclif's way (nothing done or printed yet). */
  readonly leaveToOclif?: (flags: Interfaces.InferredFlags<F>) => boolean
}

/** Where a direct run writes: the process's stdout and stderr (bin/run.js). */
export interface DirectStreams {
  readonly stdout: {write(text: string): unknown}
  readonly stderr: {write(text: string): unknown}
}

/** How a direct run ended: ran, with the exit code of its failure (undefined: process.exitCode), or left to oclif. */
export type DirectOutcome = {readonly leftToOclif: true} | {readonly leftToOclif: false; readonly exit: number | undefined}

/**
 * A command run as oclif's run() would run it, without loading oclif's Config
 * (its plugins, hooks and manifest) or the rest of oclif: bin/run.js takes this
 * way only when none of that could change what happens (no help flag, no
 * DEBUG, no user or linked plugins, no hook that fires for a command run).
 * Step by step what oclif does for a BaseCommand:
 *
 * - oclif's own parser (Parser.parse, as Command.parse calls it: the flags as
 *   declared, strict, no JSON flag), so flags, their errors and defaults are
 *   oclif's;
 * - the command's wiring with this as its CommandIo: log and logToStderr
 *   write what oclif's ux.stdout and ux.stderr write (util.format(line) and a
 *   newline) to the streams bin/run.js hands in; error throws oclif's CLIError
 *   as Command.error does;
 * - a failure printed as BaseCommand.catch prints it (errorLine), with its
 *   exit code in the outcome: bin/run.js exits with it, as oclif's handle()
 *   does with the error BaseCommand.catch throws.
 *
 * Resolves with the exit code when the command ran (undefined: whatever the
 * command left in process.exitCode), or leftToOclif when its flags leave the
 * run to oclif (leaveToOclif), which bin/run.js then starts with the same argv.
 * test/cli/direct-run.test.ts runs the same invocations both ways and compares
 * stdout, stderr and exit codes.
 */
export async function runDirect<A extends Interfaces.ArgInput, F extends Interfaces.FlagInput>(
  command: DirectCommand<A, F>,
  argv: string[],
  bin: string,
  out: DirectStreams,
): Promise<DirectOutcome> {
  const io: CommandIo = {
    log: (line) => out.stdout.write(`${format(line)}\n`),
    logToStderr: (line) => out.stderr.write(`${format(line)}\n`),
    error: (message, opts) => {
      throw new Errors.CLIError(message, opts)
    },
  }
  try {
    const {args, flags} = await Parser.parse(argv, {args: command.args, flags: command.flags, strict: true, context: io as never})
    if (command.leaveToOclif?.(flags as Interfaces.InferredFlags<F>)) return {leftToOclif: true}
    await command.run(args as Interfaces.InferredArgs<A>, flags as Interfaces.InferredFlags<F>, io)
    return {leftToOclif: false, exit: undefined}
  } catch (e) {
    const line = errorLine(e, {bin, command: command.id, flags: Object.keys(command.flags)})
    io.logToStderr(formatErrorLine(bin, line).trimEnd())
    return {leftToOclif: false, exit: line.exit}
  }
}
