import {constants as fsConstants, readdirSync, readlinkSync} from 'node:fs'
import {getSystemErrorName} from 'node:util'

import type {LibcAccess} from '../net/libc.js'

/**
 * The sockets one process holds: each /proc/PID/fd/N that reads back as
 * "socket:[INODE]" is handed to found(N, INODE). Returns undefined when the
 * fd table was read, else why not as an errno name (EACCES: another user's
 * process and we are not root; ENOENT: it exited). An fd closed between the
 * listing and its readlink is skipped.
 */
export interface SocketFdReader {
  /** libc: getdents64 and readlinkat through koffi; node: readdirSync and readlinkSync. */
  readonly way: 'libc' | 'node'
  read(pid: string, found: (fd: number, inode: number) => void): string | undefined
}

/**
 * The libc way when it was had (openLibc: Linux with glibc and a koffi
 * binary), else Node's. One readlink per open fd on the machine is the cost
 * of `sockets` with many sockets open: ss -p and lsof pay it too. Most of it is the
 * kernel's, but Node's readlinkSync adds its own per call (path checks, a
 * thrown error for a closed fd, a string for every link); readlinkat relative
 * to the open fd directory also spares the kernel three path lookups a
 * call. Measured over 30,000 socket fds: the walk alone 150 ms of CPU against
 * 220; with the recording of what it finds, 229-241 ms against 270-277 warm
 * (sniff's table worker, --watch), 255 against 295 in a fresh process.
 */
export function socketFdReader(procRoot = '/proc', libc?: LibcAccess): SocketFdReader {
  return (libc?.ok ? libcReader(procRoot, libc) : undefined) ?? nodeReader(procRoot)
}

const SOCKET_PREFIX = 'socket:['
const SOCKET_BYTES = Buffer.from(SOCKET_PREFIX, 'latin1')
const ZERO = 48 // '0'
const DOT = 46 // '.'
const CLOSE_BRACKET = 93 // ']'

function libcReader(procRoot: string, libc: LibcAccess & {ok: true}): SocketFdReader | undefined {
  const {koffi} = libc
  let open: (path: string, flags: number) => number
  let close: (fd: number) => number
  let getdents: (fd: number, buf: Buffer, size: number) => number
  let readlinkat: (dirfd: number, path: Buffer, buf: Buffer, size: number) => number
  try {
    open = libc.fn('int open(const char *path, int flags)')
    close = libc.fn('int close(int fd)')
    getdents = libc.fn('long getdents64(int fd, uint8_t *buf, size_t size)')
    // The fd's name goes as bytes (a NUL-terminated copy in one reused buffer): a string made of
    // each name, and koffi's encoding of it back to bytes, were a tenth of the walk.
    readlinkat = libc.fn('long readlinkat(int dirfd, const uint8_t *path, uint8_t *buf, size_t size)')
  } catch {
    return undefined // a glibc before 2.30 has no getdents64 wrapper
  }
  const flags = fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | 0o2000000 /* O_CLOEXEC, which node:fs does not name */
  const dirents = Buffer.allocUnsafe(64 * 1024)
  // An fd's name: at most 10 digits and the NUL.
  const name = Buffer.alloc(16)
  // "socket:[4294967295]" and more fit; a longer link (a path) is cut short, and is not a socket.
  const link = Buffer.allocUnsafe(64)
  return {
    way: 'libc',
    read(pid, found) {
      const dir = open(`${procRoot}/${pid}/fd`, flags)
      if (dir < 0) return getSystemErrorName(-koffi.errno())
      try {
        for (;;) {
          const length = getdents(dir, dirents, dirents.length)
          if (length <= 0) return length === 0 ? undefined : getSystemErrorName(-koffi.errno())
          // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[] (NUL-terminated).
          for (let at = 0; at < length; at += dirents[at + 16] | (dirents[at + 17] << 8)) {
            const nameAt = at + 19
            if (dirents[nameAt] === DOT) continue
            let fd = 0
            let i = 0
            for (; dirents[nameAt + i] !== 0 && i < name.length - 1; i++) {
              name[i] = dirents[nameAt + i]
              fd = fd * 10 + (dirents[nameAt + i] - ZERO)
            }
            name[i] = 0
            const n = readlinkat(dir, name, link, link.length)
            if (n <= SOCKET_BYTES.length || !startsWithSocket(link)) continue
            let inode = 0
            for (let j = SOCKET_BYTES.length; j < n && link[j] !== CLOSE_BRACKET; j++) inode = inode * 10 + (link[j] - ZERO)
            found(fd, inode)
          }
        }
      } finally {
        close(dir)
      }
    },
  }
}

/** Whether link begins "socket:[" (a byte loop: Buffer.compare is a call into C++ per fd). */
function startsWithSocket(link: Buffer): boolean {
  for (let i = 0; i < SOCKET_BYTES.length; i++) if (link[i] !== SOCKET_BYTES[i]) return false
  return true
}

function nodeReader(procRoot: string): SocketFdReader {
  return {
    way: 'node',
    read(pid, found) {
      const dir = `${procRoot}/${pid}/fd`
      let fds: string[]
      try {
        fds = readdirSync(dir)
      } catch (e) {
        return (e as NodeJS.ErrnoException).code ?? 'EIO'
      }
      const base = `${dir}/`
      for (const fdText of fds) {
        let link: string
        try {
          link = readlinkSync(base + fdText)
        } catch {
          continue // closed between readdir and readlink
        }
        if (!link.startsWith(SOCKET_PREFIX)) continue
        // "socket:[INODE]": the digits, read in place (no slice, no Number() of a string).
        let inode = 0
        for (let i = SOCKET_PREFIX.length; i < link.length - 1; i++) inode = inode * 10 + (link.charCodeAt(i) - ZERO)
        found(Number(fdText), inode)
      }
      return undefined
    },
  }
}
