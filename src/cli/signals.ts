/**
 * Ctrl-C and SIGTERM for the commands that run until stopped (sniff, serve,
 * sockets --watch): the first signal aborts `signal`, so the work ends
 * gracefully (a summary printed, a file closed); a second one means "now":
 * `onSecond` runs, the handlers go and the signal is sent again, so the
 * process ends the way it would have without rpcdiag's handlers.
 *
 *     const stop = untilSignal({onSecond: () => writer.close()})
 *     try { await work(stop.signal) } finally { stop.dispose() }
 *     stop.received  // 'SIGINT' | 'SIGTERM' | undefined
 */
export interface StopOnSignal {
  readonly signal: AbortSignal
  /** The first signal received, once one was. */
  readonly received: NodeJS.Signals | undefined
  /** Remove the handlers (the work ended on its own). Safe to call twice. */
  dispose(): void
}

export interface UntilSignalOptions {
  /** Default SIGINT and SIGTERM. */
  readonly signals?: readonly NodeJS.Signals[]
  /** Runs on the second signal, before the process is left to it. */
  readonly onSecond?: (signal: NodeJS.Signals) => void
}

export function untilSignal(opts: UntilSignalOptions = {}): StopOnSignal {
  const signals = opts.signals ?? (['SIGINT', 'SIGTERM'] as const)
  const abort = new AbortController()
  let received: NodeJS.Signals | undefined
  const dispose = () => {
    for (const s of signals) process.off(s, on)
  }
  function on(s: NodeJS.Signals) {
    if (received === undefined) {
      received = s
      abort.abort(s)
      return
    }
    opts.onSecond?.(s)
    dispose()
    process.kill(process.pid, s)
  }
  for (const s of signals) process.on(s, on)
  return {
    signal: abort.signal,
    get received() {
      return received
    },
    dispose,
  }
}

/** Resolves when the signal aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}))
}
