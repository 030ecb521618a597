import {Command, Errors} from '@oclif/core'

import {RpcDiagError} from '../errors.js'
import {exitCodeFor} from './exit-codes.js'

/**
 * What every rpcdiag command shares: failures become one clear line and the
 * documented exit code, never a stack trace (set DEBUG=rpcdiag* to see one).
 * oclif's own parse and validation errors already exit 2 (usage).
 */
export abstract class BaseCommand extends Command {
  /** Report an RpcDiagError with its exit code; rethrow anything else. */
  protected fail(e: unknown, suggestions?: string[]): never {
    if (e instanceof RpcDiagError) this.error(e.message, {exit: exitCodeFor(e), code: e.code, suggestions})
    throw e
  }

  protected override async catch(err: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    // With --json, oclif's catch prints the error as JSON and takes the exit
    // code from err.exitCode, which its own CLIError never sets (it carries
    // oclif.exit): without this every JSON-mode failure would exit 1.
    const exit = err instanceof RpcDiagError ? exitCodeFor(err) : err.oclif?.exit
    if (this.jsonEnabled() && exit !== undefined && process.exitCode === undefined) process.exitCode = exit
    if (err instanceof RpcDiagError) {
      return super.catch(new Errors.CLIError(err.message, {exit: exitCodeFor(err), code: err.code}) as never)
    }
    if (err instanceof Errors.CLIError || err.oclif !== undefined || process.env.DEBUG !== undefined) {
      return super.catch(err as never)
    }
    const wrapped = new Errors.CLIError(`internal error: ${err.message} (set DEBUG=rpcdiag* to see the stack trace)`, {exit: 1})
    return super.catch(wrapped as never)
  }
}
