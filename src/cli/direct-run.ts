import {format} from 'node:util'

import {Errors, Flags, type Interfaces, Parser} from '@oclif/core'

import type {CommandIo} from './command-io.js'
import {errorLine, formatErrorLine} from './error-line.js'
import type {JsonOut} from '../render/json-chunks.js'

/** A command as its direct run needs it: its id, argument and flag definitions, and its wiring. */
export interface DirectCommand<A extends Interfaces.ArgInput, F extends Interfaces.FlagInput> {
  readonly id: string
  readonly args: A
  readonly flags: F
  readonly run: (args: Interfaces.InferredArgs<A>, flags: Interfaces.InferredFlags<F>, io: CommandIo, parsed: DirectParsed) => Promise<unknown>
  /** Parsed flags whose run is left to oclif's way (nothing done or printed yet). */
  readonly leaveToOclif?: (flags: Interfaces.InferredFlags<F>) => boolean
  /** The command's static strict (default true): false takes any number of arguments, which run reads from parsed.words. */
  readonly strict?: boolean
  /** argv as the command's run() rewrites it before it parses (sockets: ss's flag bundles); throws what the command would. */
  readonly prepareArgv?: (argv: string[]) => string[]
  /**
   * The command's enableJsonFlag: oclif's --json flag is added, and with it
   * on, what run returns is printed by print, as the command's logJson prints
   * it, and so is a failure, as oclif's catch prints it ({"error": ...}).
   */
  readonly json?: {readonly print: (out: DirectStreams['stdout'], json: unknown) => void}
}

/** What the parse gave besides args and flags. */
export interface DirectParsed {
  /** The arguments in order (all of them when the command is not strict). */
  readonly words: string[]
  /** Whether --json is on, by oclif's rule (before any `--`). */
  readonly json: boolean
}

/** Where a direct run writes: the process's stdout and stderr (bin/run.js). */
export interface DirectStreams {
  readonly stdout: JsonOut & {readonly isTTY?: boolean}
  readonly stderr: {write(text: string): unknown}
}

/** oclif's global --json, as it adds it to a command with enableJsonFlag (util/aggregate-flags). */
const JSON_FLAG = {json: Flags.boolean({description: 'Format output as json.', helpGroup: 'GLOBAL'})}

/** oclif's jsonEnabled(): --json before any `--`. */
function jsonOn(argv: readonly string[]): boolean {
  const at = argv.indexOf('--json')
  const passThrough = argv.indexOf('--')
  return at !== -1 && (passThrough === -1 || at < passThrough)
}

/** How a direct run ended: ran, with the exit code of its failure (undefined: process.exitCode), or left to oclif. */
export type DirectOutcome = {readonly leftToOclif: true} | {readonly leftToOclif: false; readonly exit: number | undefined}

/**
 * util.format(line), as oclif's ux.stdout prints it: a string alone comes back
 * as it is (no % is read without arguments), so only anything else is formatted,
 * which spares a one-shot call compiling util.format (~1.5 ms).
 */
function formatLine(line: unknown): string {
  return typeof line === 'string' ? line : format(line)
}

/**
 * A command run as oclif's run() would run it, without loading oclif's Config
 * (its plugins, hooks and manifest) or the rest of oclif: bin/run.js takes this
 * way only when none of that could change what happens (no help flag, no
 * DEBUG, no user or linked plugins, no hook that fires for a command run).
 * Step by step what oclif does for a BaseCommand:
 *
 * - oclif's own parser (Parser.parse, as Command.parse calls it: the flags as
 *   declared, plus oclif's --json where `json` is given; strict unless
 *   `strict` is false), so flags, their errors and defaults are oclif's;
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
 * A command with --json (json): its output and its failures as oclif prints
 * them for it, both on stdout; on a terminal, where oclif colours the JSON,
 * and under RPCDIAG_CONTENT_TYPE (oclif's other way to turn it on), the run
 * is left to oclif.
 *
 * test/cli/direct-run.test.ts runs the same invocations both ways and compares
 * stdout, stderr and exit codes.
 */
export async function runDirect<A extends Interfaces.ArgInput, F extends Interfaces.FlagInput>(
  command: DirectCommand<A, F>,
  argv: string[],
  bin: string,
  out: DirectStreams,
): Promise<DirectOutcome> {
  if (command.json !== undefined && (process.env[`${bin.toUpperCase().replaceAll('-', '_')}_CONTENT_TYPE`] !== undefined || (jsonOn(argv) && out.stdout.isTTY === true))) {
    return {leftToOclif: true}
  }
  let json = command.json !== undefined && jsonOn(argv)
  // oclif's log and logToStderr print nothing under --json.
  const io: CommandIo = {
    log: (line) => json || out.stdout.write(`${formatLine(line)}\n`),
    logToStderr: (line) => json || out.stderr.write(`${formatLine(line)}\n`),
    error: (message, opts) => {
      throw new Errors.CLIError(message, opts)
    },
  }
  try {
    const prepared = command.prepareArgv?.(argv) ?? argv
    json = command.json !== undefined && jsonOn(prepared)
    const flags = command.json === undefined ? command.flags : {...JSON_FLAG, ...command.flags}
    const {args, flags: parsedFlags, raw} = await Parser.parse(prepared, {args: command.args, flags, strict: command.strict ?? true, context: io as never})
    if (command.leaveToOclif?.(parsedFlags as Interfaces.InferredFlags<F>)) return {leftToOclif: true}
    const words = raw.filter((t) => t.type === 'arg').map((t) => t.input)
    const result = await command.run(args as Interfaces.InferredArgs<A>, parsedFlags as Interfaces.InferredFlags<F>, io, {words, json})
    if (json && result) command.json!.print(out.stdout, result)
    return {leftToOclif: false, exit: undefined}
  } catch (e) {
    const line = errorLine(e, {bin, command: command.id, flags: Object.keys(command.flags)})
    if (json) {
      // BaseCommand.catch under --json: oclif's catch prints the error it is handed as toErrorJson makes it.
      const err = new Errors.CLIError(line.message, {exit: line.exit, code: line.code})
      command.json!.print(out.stdout, {error: {...err, message: err.message, name: err.name}})
    } else io.logToStderr(formatErrorLine(bin, line).trimEnd())
    return {leftToOclif: false, exit: line.exit}
  }
}
