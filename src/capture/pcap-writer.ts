import {closeSync, fchmodSync, fstatSync, fsyncSync, openSync, writeSync, writevSync} from 'node:fs'

import {linkTypeName} from '../../decoders/packet/index.js'
import {DEFAULT_SNAPLEN, encodePcapHeader, PCAP_RECORD_HEADER, writePcapRecordHeader} from '../../decoders/pcap/index.js'
import {err, ok, type Result, RpcDiagError, UsageError} from '../errors.js'

export interface PcapWriterOptions {
  /** LINKTYPE_* of every packet written (a classic pcap file has one). */
  readonly linkType: number
  /** Default 262144; longer packets are cut, keeping their wire length. */
  readonly snaplen?: number
  /** Write the nanosecond magic and nanosecond timestamps (default microseconds, what every reader takes). */
  readonly nanoseconds?: boolean
}

/** What a writer takes: a captured packet, or anything with time and bytes. */
export interface WritablePacket {
  readonly tsSec: number
  readonly tsNsec: number
  readonly data: Uint8Array
  readonly origLen?: number
  readonly linkType?: number
}

/** Captures hold secrets (tokens, payloads): only the owner may read them, like tcpdump -w under a umask of 077. */
export const CAPTURE_FILE_MODE = 0o600
/** writev(2) takes at most IOV_MAX (1024) buffers; two per packet. */
const PACKETS_PER_WRITEV = 512

/**
 * Writes classic pcap (little-endian, version 2.4) that tcpdump -r, tshark
 * and Wireshark open. The file is created (or truncated) with mode 0600, and
 * every write goes to the kernel before it returns: a process killed at any
 * point, even by SIGKILL, leaves a readable file holding every packet written.
 * Use writeMany() for a batch: one system call for up to 512 packets.
 *
 * Write failures (disk full) are values; after one, the writer refuses more.
 * close() fsyncs and closes, and is safe to call twice (SIGINT handlers do).
 */
export class PcapWriter {
  packets = 0
  bytes = 0
  error: RpcDiagError | undefined
  private fd: number | undefined
  private readonly snaplen: number
  private readonly nanoseconds: boolean

  private constructor(
    readonly path: string,
    fd: number,
    readonly linkType: number,
    opts: PcapWriterOptions,
  ) {
    this.fd = fd
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN
    this.nanoseconds = opts.nanoseconds ?? false
  }

  static open(path: string, opts: PcapWriterOptions): Result<PcapWriter, RpcDiagError> {
    let fd: number
    try {
      fd = openSync(path, 'w', CAPTURE_FILE_MODE)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      const why = code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message
      return err(new UsageError('WRITE_FAILED', `cannot write ${path}: ${why}`, {cause: e}))
    }
    try {
      // The mode of open() applies only to a new file: an existing one keeps its old mode unless changed.
      // Only a regular file: as root, `-w /dev/null` must not lock everyone else out of the device.
      if (fstatSync(fd).isFile()) fchmodSync(fd, CAPTURE_FILE_MODE)
      writeAll(fd, encodePcapHeader({linkType: opts.linkType, snaplen: opts.snaplen, nanoseconds: opts.nanoseconds}))
    } catch (e) {
      closeSync(fd)
      return err(new RpcDiagError('WRITE_FAILED', `cannot write ${path}: ${(e as Error).message}`, {cause: e}))
    }
    return ok(new PcapWriter(path, fd, opts.linkType, opts))
  }

  /** Append one packet. Returns the error if it could not be written. */
  write(p: WritablePacket): RpcDiagError | undefined {
    return this.writeMany([p])
  }

  /** Append packets with one writev per 512. Returns the error if they could not all be written. */
  writeMany(packets: readonly WritablePacket[]): RpcDiagError | undefined {
    if (this.error !== undefined) return this.error
    if (this.fd === undefined) return (this.error = new RpcDiagError('WRITE_FAILED', `${this.path} is closed`))
    for (let start = 0; start < packets.length; start += PACKETS_PER_WRITEV) {
      const end = Math.min(packets.length, start + PACKETS_PER_WRITEV)
      const headers = Buffer.allocUnsafe((end - start) * PCAP_RECORD_HEADER)
      const iov: Uint8Array[] = []
      let total = 0
      for (let i = start; i < end; i++) {
        const p = packets[i]
        if (p.linkType !== undefined && p.linkType !== this.linkType) {
          return (this.error = new UsageError(
            'WRITE_FAILED',
            `cannot write a ${linkTypeName(p.linkType)} packet into ${this.path}, a ${linkTypeName(this.linkType)} pcap (classic pcap holds one link type)`,
          ))
        }
        const capLen = Math.min(p.data.length, this.snaplen)
        const at = (i - start) * PCAP_RECORD_HEADER
        writePcapRecordHeader(headers, at, p.tsSec, p.tsNsec, capLen, Math.max(p.origLen ?? p.data.length, capLen), {nanoseconds: this.nanoseconds})
        iov.push(headers.subarray(at, at + PCAP_RECORD_HEADER), capLen === p.data.length ? p.data : p.data.subarray(0, capLen))
        total += PCAP_RECORD_HEADER + capLen
      }
      try {
        const n = writevSync(this.fd, iov)
        // A short write (rare on a regular file): finish it so no record is left half-written.
        if (n < total) writeAll(this.fd, Buffer.concat(iov).subarray(n))
      } catch (e) {
        return (this.error = new RpcDiagError('WRITE_FAILED', `writing ${this.path} failed: ${(e as Error).message}`, {cause: e}))
      }
      this.packets += end - start
      this.bytes += total
    }
    return undefined
  }

  /** fsync and close; the second and later calls do nothing. */
  close(): RpcDiagError | undefined {
    const fd = this.fd
    if (fd === undefined) return undefined
    this.fd = undefined
    try {
      fsyncSync(fd)
    } catch {
      // Not every file can be synced (a pipe, /dev/null); the data are already written.
    }
    try {
      closeSync(fd)
    } catch (e) {
      return new RpcDiagError('WRITE_FAILED', `closing ${this.path} failed: ${(e as Error).message}`, {cause: e})
    }
    return undefined
  }

  get closed(): boolean {
    return this.fd === undefined
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  let at = 0
  while (at < b.length) at += writeSync(fd, b, at, b.length - at)
}
