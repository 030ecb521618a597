import {createRequire} from 'node:module'

import type {LibraryHandle} from 'koffi'

export type Koffi = typeof import('koffi')

/** glibc's functions through koffi, or why they cannot be had here. */
export type LibcAccess = {readonly ok: true; readonly koffi: Koffi; readonly lib: LibraryHandle} | {readonly ok: false; readonly why: string}

/**
 * glibc, called through koffi: a well-kept FFI library with prebuilt
 * binaries, so no native addon of rpcdiag's own to build (its install script
 * stays off in package.json's allowScripts; the binary comes as an optional
 * dependency). The one place rpcdiag loads it: what calls libc (the mmap
 * threshold, the fd walk of `sockets`) falls back to Node's own way, or does
 * nothing, when this says why not: not Linux, not glibc (libc.so.6 is
 * glibc's soname: on musl the load fails), or no koffi binary for this
 * platform.
 *
 * Synchronous, and required from here rather than imported, so that a
 * command that never asks does not load the binding (10 ms).
 */
export function openLibc(): LibcAccess {
  if (process.platform !== 'linux') return {ok: false, why: `not Linux (${process.platform})`}
  try {
    const koffi = requireHere()('koffi') as Koffi
    return {ok: true, koffi, lib: koffi.load('libc.so.6')}
  } catch (e) {
    return {ok: false, why: `koffi: ${(e as Error).message.split('\n')[0]}`}
  }
}

// A CommonJS bundle has require; an ES module (the sources under tsx or vitest) makes one.
function requireHere(): NodeJS.Require {
  return typeof require === 'function' ? require : createRequire(import.meta.url)
}
