// Small formatting pieces shared by the sniff renderers: capture time as a
// clock or epoch seconds, endpoints with their processes.

import {displayText} from '../../../decoders/string/index.js'
import type {ConnRef, ProcessRef} from '../../sniff/index.js'
import {epochSeconds} from '../timestamp.js'

/**
 * Event times are ms since the capture's first whole second (baseSec). Local
 * clock time to the microsecond, as tcpdump prints it: 02:48:22.960779.
 * Keeps the last second's text, since most events share it.
 */
export class CaptureTimeFormat {
  private lastSec = Number.NaN
  private lastText = ''

  constructor(
    private readonly baseSec: () => number | undefined,
    private readonly utc = false,
  ) {}

  /** Whole seconds and microseconds since the epoch. */
  split(t: number): {sec: number; usec: number} {
    const totalUs = Math.round(t * 1000)
    const base = this.baseSec() ?? 0
    return {sec: base + Math.floor(totalUs / 1e6), usec: ((totalUs % 1e6) + 1e6) % 1e6}
  }

  /** Epoch seconds with six decimals, as a JSON number (src/render/timestamp.ts). */
  epoch(t: number): number {
    const {sec, usec} = this.split(t)
    return epochSeconds(sec, usec)
  }

  clock(t: number): string {
    // split(t), without its object: this runs for every line printed.
    const totalUs = Math.round(t * 1000)
    const sec = (this.baseSec() ?? 0) + Math.floor(totalUs / 1e6)
    const usec = ((totalUs % 1e6) + 1e6) % 1e6
    if (sec !== this.lastSec) {
      const d = new Date(sec * 1000)
      const [h, m, s] = this.utc ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()] : [d.getHours(), d.getMinutes(), d.getSeconds()]
      this.lastSec = sec
      this.lastText = `${pad2(h)}:${pad2(m)}:${pad2(s)}`
    }
    return `${this.lastText}.${String(usec).padStart(6, '0')}`
  }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

/** A process name is whatever the program wrote to /proc/PID/comm: escaped for the terminal. */
export function processText(p: ProcessRef | undefined): string {
  return p === undefined ? '' : `(pid ${p.pid} ${displayText(p.name)})`
}

/** `127.0.0.1:50346(pid 123 test_rpc_client) -> 127.0.0.1:12346(pid 456 test_rpc_server)` */
export function flowText(c: ConnRef): string {
  return `${c.client}${processText(c.clientProcess)} -> ${c.server}${processText(c.serverProcess)}`
}
