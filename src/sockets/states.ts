import {err, ok, type Result, UsageError} from '../errors.js'
import type {InetProtocol, SocketState} from './types.js'

/**
 * The `st` column of /proc/net/tcp and udp is the kernel's TCP state number in
 * hex (include/net/tcp_states.h). UDP reuses it: 01 is a connected UDP socket,
 * 07 (TCP_CLOSE) an unconnected one, which ss calls UNCONN.
 */
const KERNEL_TCP_STATES: readonly SocketState[] = [
  'UNKNOWN', // 0x00 unused
  'ESTABLISHED', // 0x01 TCP_ESTABLISHED
  'SYN-SENT', // 0x02 TCP_SYN_SENT
  'SYN-RECV', // 0x03 TCP_SYN_RECV (request sockets are printed with this too)
  'FIN-WAIT-1', // 0x04 TCP_FIN_WAIT1
  'FIN-WAIT-2', // 0x05 TCP_FIN_WAIT2
  'TIME-WAIT', // 0x06 TCP_TIME_WAIT
  'CLOSE', // 0x07 TCP_CLOSE
  'CLOSE-WAIT', // 0x08 TCP_CLOSE_WAIT
  'LAST-ACK', // 0x09 TCP_LAST_ACK
  'LISTEN', // 0x0A TCP_LISTEN
  'CLOSING', // 0x0B TCP_CLOSING
  'SYN-RECV', // 0x0C TCP_NEW_SYN_RECV
]

export function stateFromKernel(code: number, protocol: InetProtocol): SocketState {
  const state = KERNEL_TCP_STATES[code] ?? 'UNKNOWN'
  return protocol === 'udp' && state === 'CLOSE' ? 'UNCONN' : state
}

/** The state names `--state` accepts, in the order the error message lists them. */
export const STATE_FILTER_NAMES = [
  'listen',
  'established',
  'syn-sent',
  'syn-recv',
  'fin-wait-1',
  'fin-wait-2',
  'time-wait',
  'close-wait',
  'last-ack',
  'closing',
  'closed',
  'connected',
  'synchronized',
  'bucket',
  'big',
  'all',
] as const

export type StateFilterName = (typeof STATE_FILTER_NAMES)[number]

// ss's state groups (ss(8), scan_state in iproute2's misc/ss.c).
/** Every state but LISTEN and CLOSE: `connected`. */
const CONNECTED: readonly SocketState[] = ['ESTABLISHED', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSING']
/** The states kept as minisockets, with no process behind them: `bucket`. */
const BUCKET: readonly SocketState[] = ['SYN-RECV', 'TIME-WAIT']
/** Every state a socket row can show but UNKNOWN: `all`. */
export const ALL_STATES: readonly SocketState[] = [...CONNECTED, 'LISTEN', 'CLOSE', 'UNCONN']

const BY_NAME: Record<StateFilterName, readonly SocketState[]> = {
  listen: ['LISTEN'],
  established: ['ESTABLISHED'],
  'syn-sent': ['SYN-SENT'],
  'syn-recv': ['SYN-RECV'],
  'fin-wait-1': ['FIN-WAIT-1'],
  'fin-wait-2': ['FIN-WAIT-2'],
  'time-wait': ['TIME-WAIT'],
  'close-wait': ['CLOSE-WAIT'],
  'last-ack': ['LAST-ACK'],
  closing: ['CLOSING'],
  // ss's "closed" includes unconnected UDP sockets: both are kernel state TCP_CLOSE.
  closed: ['CLOSE', 'UNCONN'],
  connected: CONNECTED,
  /** connected less SYN-SENT: the handshake is done. */
  synchronized: CONNECTED.filter((s) => s !== 'SYN-SENT'),
  bucket: BUCKET,
  /** Everything a full socket holds: all but the bucket states. */
  big: ALL_STATES.filter((s) => !BUCKET.includes(s)),
  all: ALL_STATES,
}

/** Spellings people bring from ss, netstat and the kernel headers. */
const ALIASES: Record<string, StateFilterName> = {
  estab: 'established',
  'syn-received': 'syn-recv',
  'syn-rcvd': 'syn-recv',
  'fin-wait1': 'fin-wait-1',
  'fin-wait2': 'fin-wait-2',
  close: 'closed',
  unconn: 'closed',
  unconnected: 'closed',
  listening: 'listen',
  'syn-rcv': 'syn-recv',
}

/**
 * Parse one `--state` value. Case and "_" versus "-" do not matter, so
 * TIME_WAIT (netstat), time-wait (ss) and TIME-WAIT all work.
 */
export function parseStateName(text: string): Result<readonly SocketState[], UsageError> {
  const key = text.trim().toLowerCase().replaceAll('_', '-')
  const name = (STATE_FILTER_NAMES as readonly string[]).includes(key) ? (key as StateFilterName) : ALIASES[key]
  if (name === undefined) {
    return err(new UsageError('BAD_STATE', `unknown state "${text}": valid states are ${STATE_FILTER_NAMES.join(', ')}`))
  }
  return ok(BY_NAME[name])
}

/** Display order for summaries: the states a diagnosis looks at first. */
export const STATE_ORDER: readonly SocketState[] = [
  'LISTEN',
  'ESTABLISHED',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'LAST-ACK',
  'CLOSING',
  'TIME-WAIT',
  'CLOSE',
  'UNCONN',
  'UNKNOWN',
]
