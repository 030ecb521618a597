import type {UnixSocketState, UnixSocketType} from './types.js'

/**
 * One line of /proc/net/unix (net/unix/af_unix.c unix_seq_show):
 *
 *   Num       RefCount Protocol Flags    Type St Inode Path
 *   0000000000000000: 00000002 00000000 00010000 0001 01 23456 /run/app.sock
 *
 * Flags 00010000 is __SO_ACCEPTCON: the socket listens. Type is SOCK_STREAM
 * (1), SOCK_DGRAM (2) or SOCK_SEQPACKET (5). St is the socket_state: 01
 * unconnected, 02 connecting, 03 connected, 04 disconnecting. The path is the
 * rest of the line: absent for an unbound socket, "@name" for an abstract one
 * (the kernel prints its leading NUL, and any NUL inside it, as '@').
 */
export interface ProcUnixSocket {
  readonly type: UnixSocketType
  readonly state: UnixSocketState
  readonly path: string | null
  readonly inode: number
}

export interface ProcUnixParse {
  readonly sockets: ProcUnixSocket[]
  readonly errors: Array<{readonly line: number; readonly reason: string; readonly text: string}>
}

const SO_ACCEPTCON = 0x1_00_00 // __SO_ACCEPTCON in include/uapi/linux/net.h

const TYPES: Record<number, UnixSocketType> = {1: 'stream', 2: 'dgram', 5: 'seqpacket'}
const STATES: Record<number, UnixSocketState> = {1: 'UNCONNECTED', 2: 'CONNECTING', 3: 'CONNECTED', 4: 'DISCONNECTING'}

const LINE = /^\s*[0-9A-Fa-f]+: [0-9A-Fa-f]{8} [0-9A-Fa-f]{8} ([0-9A-Fa-f]{8}) ([0-9A-Fa-f]{4}) ([0-9A-Fa-f]{2}) +(\d+)(?: (.*))?$/

/** Parse the text of /proc/net/unix. Never throws; lines that do not fit go to `errors`. */
export function parseProcUnix(text: string): ProcUnixParse {
  const sockets: ProcUnixSocket[] = []
  const errors: ProcUnixParse['errors'] = []
  const lines = text.split('\n')
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]
    if (line.trim() === '') continue
    const m = LINE.exec(line)
    if (m === null) {
      errors.push({line: i + 1, reason: 'line does not match the /proc/net/unix layout', text: line})
      continue
    }
    const flags = Number.parseInt(m[1], 16)
    const type = TYPES[Number.parseInt(m[2], 16)] ?? 'unknown'
    const listening = (flags & SO_ACCEPTCON) !== 0
    const state: UnixSocketState = listening ? 'LISTEN' : (STATES[Number.parseInt(m[3], 16)] ?? 'UNKNOWN')
    const path = m[5] === undefined || m[5] === '' ? null : m[5]
    sockets.push({type, state, path, inode: Number(m[4])})
  }
  return {sockets, errors}
}
