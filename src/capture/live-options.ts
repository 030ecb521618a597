import type {CaptureFilter} from './bpf-filter.js'

/** Options shared by both live capture paths (cap and tcpdump). */
export interface LiveCaptureOptions {
  /** Interface name; default `any` on Linux (every interface), else the first non-loopback device. */
  interface?: string
  filter?: CaptureFilter
  /** Bytes kept of each packet; default 262144 (tcpdump's). cap caps it at 65535. */
  snaplen?: number
  /** Kernel capture buffer in bytes; default 16 MiB (tcpdump's default is 2 MiB; RPC bursts need more). */
  bufferSize?: number
  signal?: AbortSignal
}

export const DEFAULT_SNAPLEN = 262_144
export const DEFAULT_BUFFER_SIZE = 16 * 1024 * 1024

/** The default interface: `any` where libpcap has it (Linux). */
export function defaultInterface(): string | undefined {
  return process.platform === 'linux' ? 'any' : undefined
}
