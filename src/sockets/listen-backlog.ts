import {execFile} from 'node:child_process'

/**
 * The accept backlog limit of each TCP listener, keyed by socket inode.
 *
 * /proc/net/tcp shows how many connections wait in a listener's accept queue
 * (rx_queue) but not how many may wait: sk_max_ack_backlog is only reported
 * over netlink (inet_diag's idiag_wqueue), which is what ss shows as the
 * Send-Q of a LISTEN socket. collectSockets reads it there itself
 * (sock-diag.ts); where it cannot (another namespace, no koffi, a kernel
 * without sock_diag), this asks ss for the listeners only (the state filter
 * runs in the kernel, so it stays quick with 20,000 connections open).
 * Without ss the limit is simply unknown.
 */
export interface ListenBacklogs {
  readonly backlogs: Map<number, number>
  /** Why the limits are unknown, when they are. */
  readonly unavailable?: string
}

/** Parse `ss -Hltne` lines: "LISTEN 0 511 127.0.0.1:12345 0.0.0.0:* ino:15586 sk:3 ...". */
export function parseSsListeners(text: string): Map<number, number> {
  const backlogs = new Map<number, number>()
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/)
    if (cols.length < 5 || cols[0] !== 'LISTEN') continue
    const backlog = Number(cols[2])
    const ino = cols.find((c) => c.startsWith('ino:'))
    if (ino === undefined || !Number.isInteger(backlog)) continue
    backlogs.set(Number(ino.slice(4)), backlog)
  }
  return backlogs
}

/** Start `ss` now and resolve later: it runs on another core while /proc is read. */
export function readListenBacklogs(opts: {timeoutMs?: number; ssPath?: string; commandPrefix?: readonly string[]} = {}): Promise<ListenBacklogs> {
  const prefix = opts.commandPrefix ?? []
  const [file, ...args] = [...prefix, opts.ssPath ?? 'ss', '-Hltne']
  return new Promise((resolve) => {
    execFile(file, args, {timeout: opts.timeoutMs ?? 3000, maxBuffer: 16 * 1024 * 1024}, (error, stdout) => {
      if (error) {
        const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'ss (iproute2) is not installed' : error.message
        resolve({backlogs: new Map(), unavailable: why})
        return
      }
      resolve({backlogs: parseSsListeners(stdout)})
    })
  })
}
