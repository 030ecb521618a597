// Whether a file descriptor is /dev/null: output nobody reads need not be
// rendered (GNU grep stops at the first match for the same reason). A file,
// a pipe or a terminal is never taken for it.

import {fstatSync, statSync} from 'node:fs'

/** True when fd is the null device (same character device as /dev/null). */
export function isDevNull(fd: number): boolean {
  try {
    const s = fstatSync(fd)
    if (!s.isCharacterDevice()) return false
    const n = statSync('/dev/null')
    return n.isCharacterDevice() && s.rdev === n.rdev
  } catch {
    return false
  }
}
