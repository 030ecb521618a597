import {readFileSync} from 'node:fs'

import {formatIpv6} from '../../decoders/packet/ip-address.js'

/**
 * The addresses of a network namespace, from its /proc/PID/net: what
 * os.networkInterfaces() says of this process's own namespace, for another
 * one (--netns). IPv4 from fib_trie, whose "/32 host LOCAL" leaves are the
 * local addresses; IPv6 from if_inet6, one address (32 hex digits) a line.
 * Unreadable files give no addresses, never an error.
 */
export function readLocalAddresses(netDir: string): string[] {
  const out = new Set<string>()
  const trie = readText(`${netDir}/fib_trie`)
  let last: string | undefined
  for (const line of trie.split('\n')) {
    const leaf = /\|--\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line)
    if (leaf) {
      last = leaf[1]
      continue
    }
    if (last !== undefined && /^\s*\/32 host LOCAL\s*$/.test(line)) out.add(last)
  }
  for (const line of readText(`${netDir}/if_inet6`).split('\n')) {
    const hex = line.trim().split(/\s+/)[0]
    if (hex === undefined || !/^[0-9a-f]{32}$/i.test(hex)) continue
    out.add(formatIpv6(Uint8Array.from(Buffer.from(hex, 'hex')), 0))
  }
  return [...out]
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return ''
  }
}
