import type {LibraryHandle} from 'koffi'

export type Koffi = typeof import('koffi')

/** glibc's functions through koffi, or why they cannot be had here. */
export type LibcAccess = {readonly ok: true; readonly koffi: Koffi; readonly lib: LibraryHandle} | {readonly ok: false; readonly why: string}

/**
 * glibc, called through koffi: a well-kept FFI library with prebuilt
 * binaries, so no native addon of rpcdiag's own to build (its install script
 * stays off in package.json's allowScripts; the binary comes with the
 * package). The one place rpcdiag loads it: what calls libc (the mmap
 * threshold, the fd walk and table reads of `sockets`) falls back to Node's
 * own way, or does nothing, when this says why not: not Linux, not glibc
 * (libc.so.6 is glibc's soname: on musl the load fails), or no koffi binary
 * for this platform.
 *
 * Loaded when asked, so that a command that never asks does not load the
 * binding (10 ms).
 */
export async function openLibc(): Promise<LibcAccess> {
  if (process.platform !== 'linux') return {ok: false, why: `not Linux (${process.platform})`}
  try {
    // The CommonJS bundles require it (import() would start Node's ES module loader
    // for it: 11 ms more); the sources, ES modules under tsx or vitest, import it.
    const imported = (typeof require === 'function' ? require('koffi') : await import('koffi')) as Koffi & {default?: Koffi}
    const koffi = imported.default ?? imported
    return {ok: true, koffi, lib: koffi.load('libc.so.6')}
  } catch (e) {
    return {ok: false, why: `koffi: ${(e as Error).message.split('\n')[0]}`}
  }
}
