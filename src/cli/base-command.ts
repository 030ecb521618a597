import {Command, Errors} from '@oclif/core'

import {errorLine, formatErrorLine, printedError} from './error-line.js'

/**
 * What every rpcdiag command shares: failures become one line on stderr,
 * `rpcdiag: <message> [CODE]` with at most one hint line, and the documented
 * exit code; never oclif's flag list, never a stack trace (DEBUG=rpcdiag*
 * adds one). With --json the error is the JSON object oclif prints.
 */
export abstract class BaseCommand extends Command {
  /** Stop with an error: an RpcDiagError prints as its line (and hint) with its exit code. */
  protected fail(e: unknown): never {
    throw e
  }

  protected override async catch(err: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    const line = errorLine(err, {bin: this.config.bin, command: this.id, flags: Object.keys(this.ctor.flags ?? {})})
    if (this.jsonEnabled()) {
      // oclif's catch prints the error as JSON and takes the exit code from
      // err.exitCode, which its own CLIError never sets (it carries oclif.exit).
      if (process.exitCode === undefined) process.exitCode = line.exit
      return super.catch(new Errors.CLIError(line.message, {exit: line.exit, code: line.code}) as never)
    }
    this.logToStderr(formatErrorLine(this.config.bin, line).trimEnd())
    if (process.env.DEBUG !== undefined && err.stack !== undefined) this.logToStderr(err.stack)
    throw printedError(line)
  }
}
