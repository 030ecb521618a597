import type {Clock} from './clock.js'

/**
 * How long rpcdiag waits by default: for an answer (call, load), for a
 * handshake, and before sniff calls a request unanswered. The one place the
 * number is written.
 */
export const DEFAULT_TIMEOUT_MS = 5000

/**
 * A point in time by the clock, fixed when the user's wait begins, with the
 * budget it was made from (what messages quote: "within 500 ms"). Every step
 * of a call (connect, send, wait) waits for what is left of the same deadline,
 * so the steps together never exceed the budget.
 */
export interface Deadline {
  /** Clock time (Clock.now()) at which waiting stops. */
  readonly at: number
  /** The budget in ms, as the user gave it. */
  readonly budgetMs: number
}

export function deadlineIn(clock: Clock, budgetMs: number): Deadline {
  return {at: clock.now() + budgetMs, budgetMs}
}

/** ms left before the deadline, never negative. */
export function remainingMs(d: Deadline, clock: Clock): number {
  return Math.max(0, d.at - clock.now())
}

/** The earlier of two deadlines (undefined is never). */
export function earlier(a: Deadline, b: Deadline | undefined): Deadline {
  return b === undefined || a.at <= b.at ? a : b
}
