import type {CaptureFilter} from './bpf-filter.js'

/** Options shared by both live capture paths (cap and tcpdump). */
export interface LiveCaptureOptions {
  /** Interface name; default `any` on Linux (every interface), else the first non-loopback device. */
  interface?: string
  filter?: CaptureFilter
  /** Bytes kept of each packet; default 262144 (tcpdump's). cap caps it at 65535. */
  snaplen?: number
  /** Kernel capture buffer in bytes; default 64 MiB through cap, 16 MiB through tcpdump (its own default is 2 MiB). */
  bufferSize?: number
  signal?: AbortSignal
  /**
   * Run the capture process under this command, e.g. ['nsenter', '--net=/run/netns/web1', '--']
   * (src/netns) to capture inside a container's network namespace: argv is
   * [...commandPrefix, capture program, ...its args]. The prefix must exec the
   * program (not fork), so the child's pid and signals are the program's. Only a
   * capture process can take one: cap captures inside rpcdiag's own process.
   */
  commandPrefix?: readonly string[]
}

/** argv of a capture child under LiveCaptureOptions.commandPrefix: [file, args] for spawn. */
export function prefixedCommand(prefix: readonly string[] | undefined, bin: string, args: readonly string[]): [string, string[]] {
  if (prefix === undefined || prefix.length === 0) return [bin, [...args]]
  return [prefix[0], [...prefix.slice(1), bin, ...args]]
}

export const DEFAULT_SNAPLEN = 262_144
export const DEFAULT_BUFFER_SIZE = 16 * 1024 * 1024
/**
 * cap asks for libpcap's immediate mode, whose ring has one 64 KiB slot per
 * packet whatever its size (lo's MTU is 64 KiB): 16 MiB is only 256 packets,
 * which a consumer spending 4 us a packet overflowed at 80k packets/s; 64 MiB
 * did not. Only the pages packets touch become resident.
 */
export const CAP_DEFAULT_BUFFER_SIZE = 64 * 1024 * 1024

/** The default interface: `any` where libpcap has it (Linux). */
export function defaultInterface(): string | undefined {
  return process.platform === 'linux' ? 'any' : undefined
}
