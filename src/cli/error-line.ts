import {type ErrorCode, RpcDiagError} from '../errors.js'
import {EXIT_TRANSPORT, EXIT_USAGE, exitCodeFor} from './exit-codes.js'
import {closestCommand, habitHint} from './habits.js'

/**
 * How every failure reads on stderr, whatever raised it (an RpcDiagError, a
 * command's this.error, or oclif's own flag parser):
 *
 *   rpcdiag: unknown flag --bogus [BAD_FLAGS]
 *   hint: see rpcdiag sockets --help
 *
 * One line, never wrapped, the stable code last; at most one hint line; never
 * oclif's flag list or a stack trace (DEBUG=rpcdiag* adds the stack).
 */
export interface ErrorLine {
  readonly message: string
  readonly code: ErrorCode
  readonly exit: number
  readonly hint?: string
}

export interface ErrorContext {
  readonly bin: string
  /** The command that failed, as typed ("call"); undefined at the top level. */
  readonly command?: string
  /** Its flags, long names, for "did you mean --timeout?". */
  readonly flags?: readonly string[]
}

interface OclifLike {
  readonly message: string
  readonly code?: ErrorCode
  readonly oclif?: {readonly exit?: number}
  readonly suggestions?: readonly string[]
  /** oclif's parse errors carry the parse; these are usage errors. */
  readonly parse?: unknown
  readonly flags?: readonly string[]
  readonly args?: ReadonlyArray<string | {readonly name?: string; readonly description?: string}>
  readonly constructor: {readonly name: string}
}

/**
 * oclif decorates messages for its own printer: "Parsing --timeout \n\t<why>",
 * "\nSee more help with --help", lists on further lines. Keep the words, on one line.
 */
export function oneLine(message: string): string {
  const m = /^Parsing (--\S+) \n\t([\s\S]*)$/.exec(message)
  const inner = m === null ? message : m[2].includes(m[1]) ? m[2] : `${m[1]}: ${m[2]}`
  const text = inner.replace(/\n?See more help with --help\s*$/, '')
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ')
    .replace(/:;/g, ':')
}

function seeHelp(ctx: ErrorContext): string {
  return `see ${ctx.bin}${ctx.command === undefined ? '' : ` ${ctx.command}`} --help`
}

/** Turn whatever a command threw into the one line it prints. */
export function errorLine(error: unknown, ctx: ErrorContext): ErrorLine {
  if (error instanceof RpcDiagError) {
    const exit = exitCodeFor(error)
    return {message: oneLine(error.message), code: error.code, exit, hint: error.hint ?? (exit === EXIT_USAGE ? seeHelp(ctx) : undefined)}
  }
  const e = error as OclifLike
  if (typeof e !== 'object' || e === null || typeof e.message !== 'string') {
    return {message: `internal error: ${String(error)} (set DEBUG=rpcdiag* to see the stack trace)`, code: 'INTERNAL', exit: EXIT_TRANSPORT}
  }
  const name = e.constructor?.name ?? ''
  const exit = e.oclif?.exit
  const suggestion = e.suggestions?.[0]
  if (e.parse !== undefined || name.endsWith('ParseError') || name === 'FailedFlagValidationError') {
    if (name === 'NonExistentFlagsError' && e.flags !== undefined) {
      const flag = e.flags[0].replace(/=.*$/, '')
      const near = flag.startsWith('--') ? closestCommand(flag.slice(2), ctx.flags ?? []) : undefined
      return {
        message: `unknown flag${e.flags.length === 1 ? '' : 's'} ${e.flags.join(', ')}`,
        code: 'BAD_FLAGS',
        exit: EXIT_USAGE,
        hint: near === undefined ? seeHelp(ctx) : `did you mean --${near}? (${seeHelp(ctx)})`,
      }
    }
    if (name === 'RequiredArgsError' && e.args !== undefined) {
      const args = e.args.map((a) => (typeof a === 'string' ? a : `${(a.name ?? 'arg').toUpperCase()}${a.description ? `: ${a.description}` : ''}`))
      return {message: `missing ${args.join('; ')}`, code: 'BAD_ARGS', exit: EXIT_USAGE, hint: seeHelp(ctx)}
    }
    if (name === 'UnexpectedArgsError' && e.args !== undefined) {
      const words = e.args.map(String)
      const habit = habitHint(ctx.bin, words, ctx.command)
      return {
        message: `unexpected argument${words.length === 1 ? '' : 's'} ${words.join(' ')}${habit === undefined ? '' : `: that is ${habit.what}`}`,
        code: 'BAD_ARGS',
        exit: EXIT_USAGE,
        hint: habit === undefined ? seeHelp(ctx) : `try: ${habit.instead}`,
      }
    }
    // "The following errors occurred: A; B", where B is A the other way round: the first says it.
    const message = oneLine(e.message.replace(/^The following errors occurred:\s*/, '')).split('; ')[0]
    return {message, code: 'BAD_FLAGS', exit: EXIT_USAGE, hint: seeHelp(ctx)}
  }
  if (name === 'CLIError' || exit !== undefined) {
    // A command's this.error(message, {exit, code}); oclif's own usage errors ("Flag --x expects a value") exit 2 with no code.
    const code = e.code ?? (exit === EXIT_USAGE || exit === undefined ? 'BAD_FLAGS' : 'INTERNAL')
    const usage = (exit ?? EXIT_USAGE) === EXIT_USAGE
    return {message: oneLine(e.message), code, exit: exit ?? EXIT_USAGE, hint: suggestion ?? (usage ? seeHelp(ctx) : undefined)}
  }
  return {message: `internal error: ${oneLine(e.message)} (set DEBUG=rpcdiag* to see the stack trace)`, code: 'INTERNAL', exit: EXIT_TRANSPORT}
}

/** The text written to stderr: the line, and the hint line when there is one. */
export function formatErrorLine(bin: string, l: ErrorLine): string {
  return `${bin}: ${l.message} [${l.code}]\n${l.hint === undefined ? '' : `hint: ${l.hint}\n`}`
}

/**
 * An error oclif's handler passes over in silence (the line is already on
 * stderr) and exits with `exit`.
 */
export function printedError(l: ErrorLine): Error {
  return Object.assign(new Error(l.message), {oclif: {exit: l.exit}, skipOclifErrorHandling: true, code: l.code})
}
