import type {SocketRow, SocketState, UnixSocketRow, UnixSocketState} from './types.js'

/** What changed between two snapshots, for `--watch`. */
export type SocketChange =
  | {readonly kind: 'new'; readonly row: SocketRow}
  | {readonly kind: 'closed'; readonly row: SocketRow}
  | {readonly kind: 'state'; readonly row: SocketRow; readonly from: SocketState}

export type UnixSocketChange =
  | {readonly kind: 'new'; readonly row: UnixSocketRow}
  | {readonly kind: 'closed'; readonly row: UnixSocketRow}
  | {readonly kind: 'state'; readonly row: UnixSocketRow; readonly from: UnixSocketState}

/**
 * A connection is its protocol and 4-tuple, not its inode: the inode drops to
 * 0 when ESTABLISHED turns into TIME-WAIT, and that is a state change of the
 * same connection. Sockets sharing a tuple (SO_REUSEPORT listeners) are told
 * apart by their order.
 */
function keyed<R>(rows: readonly R[], key: (r: R) => string): Map<string, R> {
  const out = new Map<string, R>()
  for (const r of rows) {
    const k = key(r)
    let unique = k
    for (let n = 2; out.has(unique); n++) unique = `${k}#${n}`
    out.set(unique, r)
  }
  return out
}

export function socketKey(r: SocketRow): string {
  return `${r.protocol}${r.family} ${r.localAddress} ${r.localPort} ${r.peerAddress} ${r.peerPort}`
}

function diffBy<R extends {readonly state: S}, S>(
  before: readonly R[],
  after: readonly R[],
  key: (r: R) => string,
): Array<{kind: 'new' | 'closed'; row: R} | {kind: 'state'; row: R; from: S}> {
  const old = keyed(before, key)
  const now = keyed(after, key)
  const changes: Array<{kind: 'new' | 'closed'; row: R} | {kind: 'state'; row: R; from: S}> = []
  for (const [k, row] of now) {
    const was = old.get(k)
    if (was === undefined) changes.push({kind: 'new', row})
    else if (was.state !== row.state) changes.push({kind: 'state', row, from: was.state})
  }
  for (const [k, row] of old) if (!now.has(k)) changes.push({kind: 'closed', row})
  return changes
}

export function diffSockets(before: readonly SocketRow[], after: readonly SocketRow[]): SocketChange[] {
  return diffBy(before, after, socketKey)
}

/** Unix sockets have no tuple; the inode names one for its whole life. */
export function diffUnixSockets(before: readonly UnixSocketRow[], after: readonly UnixSocketRow[]): UnixSocketChange[] {
  return diffBy(before, after, (r) => String(r.inode))
}

export interface ChangeCounts {
  readonly new: number
  readonly closed: number
  readonly state: number
}

export function countChanges(changes: ReadonlyArray<{readonly kind: 'new' | 'closed' | 'state'}>): ChangeCounts {
  const c = {new: 0, closed: 0, state: 0}
  for (const ch of changes) c[ch.kind]++
  return c
}
