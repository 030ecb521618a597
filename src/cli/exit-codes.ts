import {FailOnError, UsageError} from '../errors.js'

/** The exit codes documented in the README. */
export const EXIT_OK = 0
/** Transport failure: refused, connect timeout, call timeout, peer closed mid-frame. */
export const EXIT_TRANSPORT = 1
/** Usage error or bad input. */
export const EXIT_USAGE = 2
/** The server answered with err_code != 0. */
export const EXIT_SERVER_ERROR = 3
/** `sniff --fail-on KINDS`: the capture showed one of them (an unanswered call, an error reply, ...). */
export const EXIT_FINDINGS = 4

/** Bad input exits 2; --fail-on's findings 4; everything else that stops a command is a transport failure. */
export function exitCodeFor(e: unknown): number {
  if (e instanceof FailOnError) return EXIT_FINDINGS
  return e instanceof UsageError ? EXIT_USAGE : EXIT_TRANSPORT
}
