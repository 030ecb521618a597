import {closeSync, constants, fchmodSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync, writevSync} from 'node:fs'

import {linkTypeName} from '../../decoders/packet/index.js'
import {DEFAULT_SNAPLEN, encodePcapHeader, PCAP_HEADER, PCAP_RECORD_HEADER, writePcapRecordHeader} from '../../decoders/pcap/index.js'
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
 * -w runs as root: open without following a symlink at the path (O_NOFOLLOW),
 * and without blocking on a FIFO that has no reader (O_NONBLOCK); truncate only
 * once the path is known to be a regular file with one name. A symlink could
 * point anywhere (a copy of /etc/passwd was overwritten and chmod-ed through
 * one, and a dangling one created its target); a device or FIFO is not a
 * capture file; a second hard link would be rewritten under its other name.
 */
const OPEN_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK

/**
 * Open -w's file as root may: see OPEN_FLAGS. Read and write (a capture
 * process writes it through this descriptor while rpcdiag reads it back),
 * emptied, mode 0600. The descriptor is the caller's to close.
 */
export function openCaptureFile(path: string): Result<number, RpcDiagError> {
  let fd: number
  try {
    fd = openSync(path, OPEN_FLAGS, CAPTURE_FILE_MODE)
  } catch (e) {
    return err(new UsageError('WRITE_FAILED', `cannot write ${path}: ${openFailure(e as NodeJS.ErrnoException)}`, {cause: e}))
  }
  try {
    const st = fstatSync(fd)
    const refused = !st.isFile() ? 'it is not a regular file (a device, FIFO or socket); -w writes a new or regular file' : st.nlink > 1 ? `it has ${st.nlink} hard links, and overwriting it would change the file under its other names too` : undefined
    if (refused !== undefined) {
      closeSync(fd)
      return err(new UsageError('WRITE_FAILED', `cannot write ${path}: ${refused}`))
    }
    ftruncateSync(fd, 0)
    // The mode of open() applies only to a new file: an existing one keeps its old mode unless changed.
    fchmodSync(fd, CAPTURE_FILE_MODE)
  } catch (e) {
    closeSync(fd)
    return err(new RpcDiagError('WRITE_FAILED', `cannot write ${path}: ${(e as Error).message}`, {cause: e}))
  }
  return ok(fd)
}

/**
 * Writes classic pcap (little-endian, version 2.4) that tcpdump -r, tshark
 * and Wireshark open. The file is created (or overwritten, as tcpdump does)
 * with mode 0600; a symlink, or anything but a regular file, is refused. Every
 * write goes to the kernel before it returns: a process killed at any point,
 * even by SIGKILL, leaves a readable file holding every packet written.
 * Use writeMany() for a batch: one system call for up to 512 packets.
 *
 * Write failures (disk full) are values; the file then ends with the last
 * whole record (a record cut by the failure is cut off), the error says how
 * many packets it holds, and the writer refuses more.
 * close() fsyncs and closes, and is safe to call twice (SIGINT handlers do).
 */
export class PcapWriter {
  /** Packets and record bytes (headers included) in the file, every one whole. */
  packets = 0
  bytes = 0
  error: RpcDiagError | undefined
  /** File size after the last whole record. */
  private size: number
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
    this.size = PCAP_HEADER
  }

  static open(path: string, opts: PcapWriterOptions): Result<PcapWriter, RpcDiagError> {
    const opened = openCaptureFile(path)
    if (!opened.ok) return opened
    const fd = opened.value
    try {
      writeAll(fd, encodePcapHeader({linkType: opts.linkType, snaplen: opts.snaplen, nanoseconds: opts.nanoseconds}))
    } catch (e) {
      // No half header: a file that cannot hold one is left empty.
      try {
        ftruncateSync(fd, 0)
      } catch {
        // Nothing more to undo.
      }
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
      let written = 0
      try {
        written = writevSync(this.fd, iov)
        // A short write (a disk filling up, rarely anything else): finish it, or fail below.
        if (written < total) {
          const rest = Buffer.concat(iov)
          while (written < total) written += writeSync(this.fd, rest, written, total - written)
        }
      } catch (e) {
        return (this.error = this.failed(e as NodeJS.ErrnoException, iov, written))
      }
      this.packets += end - start
      this.bytes += total
      this.size += total
    }
    return undefined
  }

  /**
   * A write failed after `written` bytes of the batch in iov (header, data,
   * header, data...): keep the whole records among them and cut the rest, so
   * the file ends on a record boundary.
   */
  private failed(e: NodeJS.ErrnoException, iov: readonly Uint8Array[], written: number): RpcDiagError {
    let whole = 0
    let bytes = 0
    for (let i = 0; i + 1 < iov.length; i += 2) {
      const n = iov[i].length + iov[i + 1].length
      if (bytes + n > written) break
      bytes += n
      whole++
    }
    let cut = ''
    try {
      ftruncateSync(this.fd!, this.size + bytes)
      this.packets += whole
      this.bytes += bytes
      this.size += bytes
    } catch (t) {
      cut = ` (and cutting off the partial record failed too: ${(t as Error).message})`
    }
    const why = e.code === 'ENOSPC' ? 'no space left on device' : e.code === 'EDQUOT' ? 'disk quota exceeded' : e.message
    return new RpcDiagError('WRITE_FAILED', `writing ${this.path} failed: ${why}; it holds the first ${this.packets} packet(s), each whole${cut}`, {cause: e})
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

function openFailure(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ELOOP':
      return 'it is a symbolic link; -w does not follow links (as root a link could point at any file): give the real path'
    case 'ENXIO':
      return 'it is a FIFO with no reader; -w writes a new or regular file'
    case 'ENOENT':
      return 'no such directory'
    case 'EACCES':
      return 'permission denied'
    case 'EISDIR':
      return 'it is a directory'
    default:
      return e.message
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  let at = 0
  while (at < b.length) at += writeSync(fd, b, at, b.length - at)
}
