// Builders for TCP segments as the packet decoders hand them over: a scripted
// conversation between a client and a server, with real sequence and ack numbers.

import {TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpSegment} from '../../../decoders/packet/segment.js'

export interface Endpoint {
  host: string
  port: number
}

export type Side = 'client' | 'server'

/** Capture time as whole seconds and nanoseconds. */
export interface Stamp {
  sec: number
  nsec: number
}

export function segment(fields: Partial<TcpSegment> & Pick<TcpSegment, 'src' | 'dst' | 'srcPort' | 'dstPort'>): TcpSegment {
  return {
    tsSec: 1_684_032_502,
    tsNsec: 0,
    ipVersion: fields.src.includes(':') ? 6 : 4,
    seq: 0,
    ack: 0,
    flags: TCP_ACK,
    window: 64,
    options: {},
    payload: new Uint8Array(0),
    ...fields,
  }
}

/**
 * A TCP conversation: tracks each side's next sequence number so the segments it
 * makes are what a real stack would send. Every segment advances the clock by
 * `stepUs` microseconds unless a time is given.
 */
export class Conversation {
  readonly next: Record<Side, number>
  private sec: number
  private nsec = 0

  constructor(
    readonly client: Endpoint = {host: '127.0.0.1', port: 50_346},
    readonly server: Endpoint = {host: '127.0.0.1', port: 12_346},
    readonly isn: Record<Side, number> = {client: 3_001_752_416, server: 1_091_039_742},
    start: Stamp = {sec: 1_684_032_502, nsec: 0},
    private readonly stepUs = 100,
  ) {
    this.next = {client: isn.client, server: isn.server}
    this.sec = start.sec
    this.nsec = start.nsec
  }

  /** The current capture time in ms since the conversation's first second. */
  get nowMs(): number {
    return this.nsec / 1e6
  }

  /** The current capture time, to start another conversation from. */
  get stamp(): Stamp {
    return {sec: this.sec, nsec: this.nsec}
  }

  /** Move the clock forward. */
  wait(ms: number): void {
    const total = this.nsec + Math.round(ms * 1e6)
    this.sec += Math.floor(total / 1e9)
    this.nsec = total % 1e9
  }

  private tick(): {tsSec: number; tsNsec: number} {
    const s = {tsSec: this.sec, tsNsec: this.nsec}
    this.wait(this.stepUs / 1000)
    return s
  }

  private ends(from: Side): {src: string; srcPort: number; dst: string; dstPort: number} {
    const [a, b] = from === 'client' ? [this.client, this.server] : [this.server, this.client]
    return {src: a.host, srcPort: a.port, dst: b.host, dstPort: b.port}
  }

  private peer(side: Side): Side {
    return side === 'client' ? 'server' : 'client'
  }

  /** The three-way handshake. */
  handshake(): TcpSegment[] {
    const syn = segment({...this.ends('client'), ...this.tick(), seq: this.isn.client, flags: TCP_SYN})
    this.next.client = (this.isn.client + 1) >>> 0
    const synAck = segment({...this.ends('server'), ...this.tick(), seq: this.isn.server, ack: this.next.client, flags: TCP_SYN | TCP_ACK})
    this.next.server = (this.isn.server + 1) >>> 0
    return [syn, synAck, this.ack('client')]
  }

  /** A pure ACK from `from`. */
  ack(from: Side): TcpSegment {
    return segment({...this.ends(from), ...this.tick(), seq: this.next[from], ack: this.next[this.peer(from)], flags: TCP_ACK})
  }

  /** Send bytes from `from`, cut into segments of at most `mss` bytes (or at the given cut points). */
  send(from: Side, bytes: Uint8Array, opts: {mss?: number; cuts?: number[]} = {}): TcpSegment[] {
    const cuts = opts.cuts ?? []
    const bounds: number[] = [0]
    if (opts.cuts !== undefined) bounds.push(...[...cuts].sort((x, y) => x - y).filter((c) => c > 0 && c < bytes.length))
    else for (let at = opts.mss ?? 65_483; at < bytes.length; at += opts.mss ?? 65_483) bounds.push(at)
    bounds.push(bytes.length)
    const out: TcpSegment[] = []
    for (let i = 0; i + 1 < bounds.length; i++) {
      const payload = Buffer.from(bytes.subarray(bounds[i], bounds[i + 1]))
      if (payload.length === 0) continue
      out.push(
        segment({...this.ends(from), ...this.tick(), seq: this.next[from], ack: this.next[this.peer(from)], flags: TCP_ACK | TCP_PSH, payload}),
      )
      this.next[from] = (this.next[from] + payload.length) >>> 0
    }
    return out
  }

  fin(from: Side): TcpSegment {
    const s = segment({...this.ends(from), ...this.tick(), seq: this.next[from], ack: this.next[this.peer(from)], flags: TCP_FIN | TCP_ACK})
    this.next[from] = (this.next[from] + 1) >>> 0
    return s
  }

  /** The client's SYN again, stamped now: a retransmission, or the retry after a challenge ACK. */
  synAgain(): TcpSegment {
    return segment({...this.ends('client'), ...this.tick(), seq: this.isn.client, flags: TCP_SYN})
  }

  /**
   * A server that still holds `stale` (an older connection on the same ports,
   * in CLOSE_WAIT) answers this conversation's SYN with a bare ACK for the old
   * connection (an RFC 5961 challenge ACK); the client's stack answers that with
   * a RST whose sequence number is the ACK's number, as Linux does.
   */
  challenge(stale: Conversation): [TcpSegment, TcpSegment] {
    const ack = segment({...this.ends('server'), ...this.tick(), seq: stale.next.server, ack: stale.next.client, flags: TCP_ACK})
    const rst = segment({...this.ends('client'), ...this.tick(), seq: stale.next.client, flags: TCP_RST})
    return [ack, rst]
  }

  rst(from: Side): TcpSegment {
    return segment({...this.ends(from), ...this.tick(), seq: this.next[from], ack: this.next[this.peer(from)], flags: TCP_RST | TCP_ACK})
  }
}
