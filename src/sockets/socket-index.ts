import {networkInterfaces} from 'node:os'

import type {NetAddr} from '../net/net-addr.js'
import {unmapIpv4} from './proc-addr.js'
import type {InetProtocol, SocketRow} from './types.js'

/**
 * Find the sockets behind a flow seen on the wire, to name the process at
 * each end (sniff joins its flows through this). A captured packet says
 * src -> dst; on this machine the sender's socket has local = src and the
 * receiver's has local = dst. IPv4-mapped IPv6 addresses (a dual-stack
 * listener's view of an IPv4 client) match their IPv4 form.
 */
export interface FlowSockets {
  /** The socket whose local end is the flow's source, when it is on this machine. */
  readonly src?: SocketRow
  /** The socket whose local end is the flow's destination. */
  readonly dst?: SocketRow
  /** The listener on dst's port when the connection itself is gone or not yet accepted. */
  readonly listener?: SocketRow
}

function key(protocol: InetProtocol, local: NetAddr, peer: NetAddr): string {
  return `${protocol} ${unmapIpv4(local.host)} ${local.port} ${unmapIpv4(peer.host)} ${peer.port}`
}

const ANY = new Set(['0.0.0.0', '::'])

/** The addresses of this machine: every interface's, and all of loopback (Linux answers on 127.0.0.0/8). */
function localAddresses(): Set<string> {
  const out = new Set(['::1'])
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(unmapIpv4(a.address))
  return out
}

function isLocal(host: string, local: ReadonlySet<string>): boolean {
  return local.has(host) || /^127\./.test(host)
}

export class SocketIndex {
  private readonly byTuple = new Map<string, SocketRow>()
  private readonly listeners = new Map<string, SocketRow>()
  /** This machine's addresses, read on the first wildcard lookup. */
  private local: ReadonlySet<string> | undefined

  /** localAddresses: this machine's addresses (default: os.networkInterfaces() and loopback). */
  constructor(rows: Iterable<SocketRow>, opts: {localAddresses?: Iterable<string>} = {}) {
    if (opts.localAddresses !== undefined) this.local = new Set([...opts.localAddresses].map(unmapIpv4))
    for (const r of rows) {
      if (r.state === 'LISTEN' || (r.protocol === 'udp' && r.peerPort === 0)) {
        this.listeners.set(`${r.protocol} ${unmapIpv4(r.localAddress)} ${r.localPort}`, r)
        continue
      }
      const k = key(r.protocol, {host: r.localAddress, port: r.localPort}, {host: r.peerAddress, port: r.peerPort})
      // A live socket wins over a TIME-WAIT leftover of an earlier connection on the same tuple.
      const had = this.byTuple.get(k)
      if (had === undefined || had.state === 'TIME-WAIT') this.byTuple.set(k, r)
    }
  }

  /** The socket with this local and peer end. */
  lookup(local: NetAddr, peer: NetAddr, protocol: InetProtocol = 'tcp'): SocketRow | undefined {
    return this.byTuple.get(key(protocol, local, peer))
  }

  /**
   * The listener (or bound UDP socket) that receives on addr. A wildcard listener
   * only when addr is an address of this machine: a flow to a remote server on
   * the same port is not this listener's.
   */
  listenerFor(addr: NetAddr, protocol: InetProtocol = 'tcp'): SocketRow | undefined {
    const host = unmapIpv4(addr.host)
    const exact = this.listeners.get(`${protocol} ${host} ${addr.port}`)
    if (exact !== undefined) return exact
    this.local ??= localAddresses()
    if (!isLocal(host, this.local)) return undefined
    for (const any of ANY) {
      const l = this.listeners.get(`${protocol} ${any} ${addr.port}`)
      // An IPv4 wildcard does not receive IPv6 traffic; :: receives both unless v6only.
      if (l !== undefined && (any === '::' || !host.includes(':'))) return l
    }
    return undefined
  }

  /** Both local ends of a flow src -> dst, and dst's listener. */
  flow(src: NetAddr, dst: NetAddr, protocol: InetProtocol = 'tcp'): FlowSockets {
    const out: {src?: SocketRow; dst?: SocketRow; listener?: SocketRow} = {}
    const s = this.lookup(src, dst, protocol)
    const d = this.lookup(dst, src, protocol)
    const l = this.listenerFor(dst, protocol)
    if (s !== undefined) out.src = s
    if (d !== undefined) out.dst = d
    if (l !== undefined) out.listener = l
    return out
  }
}
