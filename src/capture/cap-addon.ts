import {createRequire} from 'node:module'

import {err, ok, type Result, RpcDiagError} from '../errors.js'

/** The part of the `cap` addon (libpcap binding, an optional dependency) rpcdiag uses. */
export interface CapHandle {
  /**
   * Open a device and start capturing. Returns the link type as a name
   * ("ETHERNET", "LINKTYPE_LINUX_SLL", "NULL", "RAW", "Unknown linktype N").
   * Throws libpcap's message on failure; after a throw the handle must not be
   * closed (cap 0.2 crashes closing a handle that never opened).
   */
  open(device: string, filter: string, bufferSize: number, buffer: Buffer): string
  close(): void
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this
  removeAllListeners(event?: string): this
}

export interface CapDevice {
  name: string
  description?: string
  addresses: Array<{addr: string; netmask?: string; broadaddr?: string; dstaddr?: string}>
  flags?: string
}

export interface CapModule {
  Cap: {
    new (): CapHandle
    deviceList(): CapDevice[]
    findDevice(ip?: string): string | undefined
  }
}

/** A function that loads cap, injectable so the tcpdump fallback can be exercised where cap is installed. */
export type CapLoader = () => Result<CapModule, RpcDiagError>

/**
 * Load the cap addon. It is an optional dependency with a native build: when
 * npm could not build it (no libpcap-dev) or it fails to load, the error is a
 * value and capture falls back to tcpdump.
 */
export const loadCap: CapLoader = () => {
  try {
    const require = createRequire(import.meta.url)
    const mod = require('cap') as CapModule
    if (typeof mod?.Cap !== 'function') return err(new RpcDiagError('CAP_UNAVAILABLE', 'the cap addon loaded but has no Cap class'))
    return ok(mod)
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e)
    return err(new RpcDiagError('CAP_UNAVAILABLE', `the cap addon (libpcap) is not available: ${why}`, {cause: e}))
  }
}
