import type {Hook} from '@oclif/core'

import {formatErrorLine, printedError} from './error-line.js'
import {EXIT_USAGE} from './exit-codes.js'
import {closestCommand, habitHint} from './habits.js'

/**
 * oclif's command_not_found hook (package.json oclif.hooks), in place of
 * @oclif/plugin-not-found, whose line wraps, whose prompt waits on a
 * terminal, and which knows no habits: `rpcdiag state close-wait` says to
 * type `rpcdiag sockets state close-wait`, a typo gets "did you mean".
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  const bin = opts.config.bin
  // With topicSeparator " ", oclif joins the leading words into the id ("state:close-wait").
  const words = [...opts.id.split(':'), ...(opts.argv ?? [])]
  const visible = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id)
  // `rpcdiag sniff state close-wait`: oclif took the words after a command without arguments for a longer command name.
  let k = words.length - 1
  while (k > 0 && opts.config.findCommand(words.slice(0, k).join(':')) === undefined) k--
  const command = k > 0 ? words.slice(0, k).join(' ') : undefined
  const args = words.slice(k)
  const habit = habitHint(bin, args, command)
  const typed = words[0]
  const near = closestCommand(typed, visible)
  const line =
    command !== undefined
      ? {
          message: `unexpected argument${args.length === 1 ? '' : 's'} ${args.join(' ')} for ${bin} ${command}${habit === undefined ? '' : `: that is ${habit.what}`}`,
          code: 'BAD_ARGS' as const,
          exit: EXIT_USAGE,
          hint: habit === undefined ? `see ${bin} ${command} --help` : `try: ${habit.instead}`,
        }
      : habit !== undefined
      ? {message: `${words.join(' ')} is ${habit.what}, not a ${bin} command`, code: 'UNKNOWN_COMMAND' as const, exit: EXIT_USAGE, hint: `try: ${habit.instead}`}
      : {
          message: `${typed} is not a ${bin} command`,
          code: 'UNKNOWN_COMMAND' as const,
          exit: EXIT_USAGE,
          hint: near === undefined ? `see ${bin} --help for the commands` : `did you mean ${bin} ${near}? (see ${bin} --help)`,
        }
  process.stderr.write(formatErrorLine(bin, line))
  throw printedError(line)
}

export default hook
