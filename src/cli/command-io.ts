import type {ErrorCode} from '../errors.js'

/**
 * What a command's wiring (src/<name>-command) needs from the command that
 * runs it: oclif's Command has these three, and so does the direct run of a
 * command without oclif's Config (src/cli/direct-run.ts).
 */
export interface CommandIo {
  /** A line on stdout. */
  log(line: string): void
  /** A line on stderr. */
  logToStderr(line: string): void
  /** Stop with one error line: its exit code and stable code (oclif's this.error). */
  error(message: string, opts: {exit: number; code: ErrorCode}): never
}
