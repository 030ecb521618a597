// A ConnRef for tests that render, filter or name a connection: an IPv4 client
// and server ("host:port"), its server found by the SYN, seen from the start.
import type {ConnRef} from '../../src/sniff/index.js'

function addr(hostPort: string): {host: string; port: number} {
  const [host, port] = hostPort.split(':')
  return {host: host!, port: Number(port)}
}

export function connRef(client = '127.0.0.1:50346', server = '127.0.0.1:12346', extra: Partial<ConnRef> = {}): ConnRef {
  return {id: 1, client, server, clientAddr: addr(client), serverAddr: addr(server), serverBy: 'syn', midstream: false, ...extra}
}
