export type Koffi = typeof import('koffi')

/** glibc's functions through koffi, or why they cannot be had here. */
export type LibcAccess =
  | {
      readonly ok: true
      readonly koffi: Koffi
      /** The function a C prototype declares, declared once per process and then reused. */
      fn<T>(prototype: string): T
    }
  | {readonly ok: false; readonly why: string}

let opened: Promise<LibcAccess> | undefined

/**
 * glibc, called through koffi: a well-kept FFI library with prebuilt
 * binaries, so no native addon of rpcdiag's own to build (its install script
 * stays off in package.json's allowScripts; the binary comes with the
 * package). The one place rpcdiag loads it: what calls libc (the mmap
 * threshold, the fd walk of `sockets`) falls back to Node's own way, or does
 * nothing, when this says why not: not Linux, not glibc (libc.so.6 is
 * glibc's soname: on musl the load fails), or no koffi binary for this
 * platform.
 *
 * Once per process, like the library it loads, and each prototype declared
 * once: koffi keeps native memory for every load and every declaration (20,000
 * loads and declarations, what sniff's socket-table worker made in half an
 * hour when each read of the table opened its own, took RSS from 42 to
 * 110-200 MB). Loaded when first asked, so that a command that never asks
 * does not load the binding (10 ms).
 */
export function openLibc(): Promise<LibcAccess> {
  opened ??= load()
  return opened
}

async function load(): Promise<LibcAccess> {
  if (process.platform !== 'linux') return {ok: false, why: `not Linux (${process.platform})`}
  try {
    // The CommonJS bundles require it (import() would start Node's ES module loader
    // for it: 11 ms more); the sources, ES modules under tsx or vitest, import it.
    const imported = (typeof require === 'function' ? require('koffi') : await import('koffi')) as Koffi & {default?: Koffi}
    const koffi = imported.default ?? imported
    const lib = koffi.load('libc.so.6')
    const declared = new Map<string, unknown>()
    return {
      ok: true,
      koffi,
      fn<T>(prototype: string): T {
        let f = declared.get(prototype)
        if (f === undefined) declared.set(prototype, (f = lib.func(prototype)))
        return f as T
      },
    }
  } catch (e) {
    return {ok: false, why: `koffi: ${(e as Error).message.split('\n')[0]}`}
  }
}
