// The default memory limits of sniff's reassembly, in a module of their own:
// sniff's flags (src/sniff-command/flags.ts) show them in --help without loading the reassembler.

/** sniff --buffer-limit, per connection: out-of-order bytes held, and the largest frame accepted. */
export const DEFAULT_MAX_HELD_BYTES = 16 * 1024 * 1024

/**
 * sniff --max-buffered, across connections (the session applies it): four
 * connections at the --buffer-limit default. A watcher must stay small beside
 * what it watches.
 */
export const DEFAULT_MAX_BUFFERED = 64 * 1024 * 1024
