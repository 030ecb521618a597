import {accessSync, constants, statSync} from 'node:fs'
import {delimiter, join} from 'node:path'

import {DEFAULT_BUFFER_SIZE, DEFAULT_SNAPLEN, type LiveCaptureOptions} from './live-options.js'

// The capture processes rpcdiag runs, as Wireshark runs dumpcap: a separate
// program holds the capture privilege, stamps packets with the kernel's time
// and hands pcap records over a pipe; rpcdiag itself needs no privilege.
// What differs between dumpcap and tcpdump is here: arguments, the line that
// says capturing has begun, the counters printed at the end, the privilege fix.

export type CaptureProgramName = 'dumpcap' | 'tcpdump'

/** Counters a capture program printed on stderr. */
export interface ProgramCounters {
  /** Packets the program captured (and wrote): dumpcap says it as it goes, tcpdump at the end. */
  captured?: number
  kernelDrops?: number
  interfaceDrops?: number
  received?: number
}

export interface CaptureProgram {
  readonly name: CaptureProgramName
  /**
   * The arguments for a capture writing pcap or pcapng records to stdout: a
   * pipe, or the -w file itself (then classic pcap, what -w promises).
   */
  args(iface: string | undefined, opts: LiveCaptureOptions, toFile: boolean): string[]
  /** Seen on stderr once the capture runs (after it, packets sent are captured). */
  readonly ready: RegExp
  /** The interface and link type named on stderr, when the program says them. */
  described(stderr: string): {where: string; linkType?: string} | undefined
  /** The counters in what the program printed (the last of each). */
  counters(stderr: string): ProgramCounters
  /** Its error text without the lines that are not about the failure. */
  failure(stderr: string): string
  /** Whether SIGUSR1 makes it print fresh counters. */
  readonly usr1Counters: boolean
  /**
   * libpcap's block timeout as the program sets it: a packet captured waits
   * at most this long in the kernel's ring before the program sees it. On
   * SIGTERM the program does not drain the ring, so it is told this much
   * later than asked to stop (see the lifeline).
   */
  readonly handoverMs: number
}

function lastCount(text: string, what: RegExp): number | undefined {
  let n: number | undefined
  for (const m of text.matchAll(what)) n = Number(m[1])
  return n
}

/**
 * dumpcap (wireshark-common): pcapng on stdout, nanosecond kernel stamps, a
 * snap length of 262144 (it covers lo's 65536-byte MTU), and at the end an
 * interface statistics block and a line with the drops. It hands packets over
 * at least every 250 ms (its libpcap read timeout), without libpcap's
 * immediate mode, whose one-slot-per-packet ring overflows at high rates.
 */
export const DUMPCAP: CaptureProgram = {
  name: 'dumpcap',
  args(iface, opts, toFile) {
    const args = ['-w', '-', ...(toFile ? ['-P'] : []), '-s', String(opts.snaplen ?? DEFAULT_SNAPLEN), '-B', String(Math.max(1, Math.ceil((opts.bufferSize ?? DEFAULT_BUFFER_SIZE) / (1024 * 1024))))]
    if (iface !== undefined) args.push('-i', iface)
    if (opts.filter !== undefined && opts.filter.expression !== '') args.push('-f', opts.filter.expression)
    return args
  },
  // "Capturing on 'Loopback: lo'" comes first, even when opening fails; "File: -" once it runs.
  ready: /^File: /m,
  described(stderr) {
    const m = /Capturing on '(?:[^']*: )?([^']+)'/.exec(stderr)
    return m ? {where: m[1]} : undefined
  },
  counters(stderr) {
    // Packets received/dropped on interface 'Loopback: lo': 10/0 (pcap:0/dumpcap:0/flushed:0/ps_ifdrop:0) (100.0%)
    const m = [...stderr.matchAll(/received\/dropped on interface '[^']*': (\d+)\/(\d+) \(pcap:\d+\/dumpcap:\d+\/flushed:\d+\/ps_ifdrop:(\d+)\)/g)].pop()
    const out: ProgramCounters = m ? {received: Number(m[1]), kernelDrops: Number(m[2]), interfaceDrops: Number(m[3])} : {}
    // "Packets: 36" as it goes (about every 100 ms), "Packets captured: 308" at the end.
    const captured = lastCount(stderr, /Packets(?: captured)?: (\d+)/g)
    if (captured !== undefined) out.captured = captured
    return out
  },
  failure(stderr) {
    // The failure and its reason; then come advice lines ("Please check...", "See the User's Guide...").
    const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !/^Capturing on |^File: /.test(l))
    const end = lines.findIndex((l) => /^(Please check|See the User|On Debian)/.test(l))
    return (end < 0 ? lines : lines.slice(0, end)).join(' ').replace(/^dumpcap: /, '')
  },
  usr1Counters: false,
  handoverMs: 250,
}

/**
 * tcpdump: a classic pcap stream with nanosecond kernel stamps. -U writes each
 * packet out as libpcap hands it over. Not --immediate-mode: that makes
 * libpcap use a TPACKET_V2 ring of snaplen-sized slots (256 of them in 16 MiB),
 * which overflowed at ~50k packets/s on lo; TPACKET_V3's blocks did not drop at
 * 90k/s. The price: at low rates a packet can wait up to libpcap's 1 s block
 * timeout (tcpdump sets it; dumpcap sets 250 ms).
 */
export const TCPDUMP: CaptureProgram = {
  name: 'tcpdump',
  args(iface, opts) {
    // Classic pcap either way.
    const args = ['-U', '-w', '-', '--time-stamp-precision=nano', '-s', String(opts.snaplen ?? DEFAULT_SNAPLEN), '-B', String(Math.ceil((opts.bufferSize ?? DEFAULT_BUFFER_SIZE) / 1024))]
    if (iface !== undefined) args.push('-i', iface)
    if (opts.filter !== undefined && opts.filter.expression !== '') args.push('--', opts.filter.expression)
    return args
  },
  ready: /listening on (\S+), link-type (\S+)/,
  described(stderr) {
    const m = /listening on (\S+), link-type (\S+)/.exec(stderr)
    return m ? {where: m[1], linkType: m[2]} : undefined
  },
  counters(stderr) {
    const out: ProgramCounters = {}
    const kernel = lastCount(stderr, /(\d+) packets? dropped by kernel/g)
    const iface = lastCount(stderr, /(\d+) packets? dropped by interface/g)
    const received = lastCount(stderr, /(\d+) packets? received by filter/g)
    const captured = lastCount(stderr, /(\d+) packets? captured/g)
    if (captured !== undefined) out.captured = captured
    if (kernel !== undefined) out.kernelDrops = kernel
    if (iface !== undefined) out.interfaceDrops = iface
    if (received !== undefined) out.received = received
    return out
  },
  failure(stderr) {
    return stderr.replace(/listening on .*\n?/, '').replace(/^tcpdump: /gm, '')
  },
  usr1Counters: true,
  handoverMs: 1000,
}

export const CAPTURE_PROGRAMS: Readonly<Record<CaptureProgramName, CaptureProgram>> = {dumpcap: DUMPCAP, tcpdump: TCPDUMP}

export type ProgramLookup = {ok: true; path: string} | {ok: false; reason: 'missing' | 'not-executable'; path?: string}

/**
 * Where `bin` is: a path as given when it has a slash, else the first match on
 * PATH (Debian puts dumpcap and tcpdump in /usr/bin, some systems in /usr/sbin,
 * which a user's PATH may lack: those are tried last). 'not-executable' is a
 * file this user may not run (dumpcap is mode 0750, group wireshark, when
 * Debian is told to let only that group capture).
 */
export function findProgram(bin: string, path = process.env.PATH ?? ''): ProgramLookup {
  const candidates = bin.includes('/') ? [bin] : [...path.split(delimiter).filter((d) => d !== ''), '/usr/sbin', '/sbin'].map((d) => join(d, bin))
  let denied: string | undefined
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue
    } catch {
      continue
    }
    try {
      accessSync(c, constants.X_OK)
      return {ok: true, path: c}
    } catch {
      denied ??= c
    }
  }
  return denied === undefined ? {ok: false, reason: 'missing'} : {ok: false, reason: 'not-executable', path: denied}
}
