import {endianness} from 'node:os'

/**
 * Addresses in /proc/net/tcp, tcp6, udp and udp6. The kernel prints each
 * 32-bit word of the network-order address with %08X as a host-order integer,
 * so on a little-endian machine the bytes of every word appear reversed:
 * 127.0.0.1 is "0100007F", ::1 is "00000000000000000000000001000000".
 * Ports are printed after ntohs, so "3039" is port 12345 on every machine.
 */
const LITTLE_ENDIAN = endianness() === 'LE'

function hexByte(text: string, at: number): number {
  return Number.parseInt(text.substr(at, 2), 16)
}

/** The 4 or 16 bytes of an address as the kernel printed them, in network order. */
export function procHexToBytes(hex: string, littleEndian = LITTLE_ENDIAN): number[] | undefined {
  if ((hex.length !== 8 && hex.length !== 32) || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined
  const bytes: number[] = []
  for (let word = 0; word < hex.length; word += 8) {
    const b = [hexByte(hex, word), hexByte(hex, word + 2), hexByte(hex, word + 4), hexByte(hex, word + 6)]
    if (littleEndian) b.reverse()
    bytes.push(...b)
  }
  return bytes
}

/**
 * RFC 5952 text for 16 address bytes: lower case, the longest run of two or
 * more zero groups as "::", IPv4-mapped addresses as ::ffff:a.b.c.d (how a
 * dual-stack listener on :: sees an IPv4 client).
 */
export function formatIpv6(bytes: readonly number[]): string {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1])
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xff_ff) {
    return `::ffff:${bytes.slice(12).join('.')}`
  }
  let bestAt = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      bestAt = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestAt < 0) return hex.join(':')
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`
}

/** Text of a /proc/net address field ("0100007F" or 32 hex digits); undefined when malformed. */
export function decodeProcAddress(hex: string, littleEndian = LITTLE_ENDIAN): string | undefined {
  const bytes = procHexToBytes(hex, littleEndian)
  if (bytes === undefined) return undefined
  return bytes.length === 4 ? bytes.join('.') : formatIpv6(bytes)
}

/**
 * A decoder that remembers what it decoded: a table of 20,000 loopback
 * sockets holds only a handful of distinct addresses.
 */
export function cachedAddressDecoder(littleEndian = LITTLE_ENDIAN): (hex: string) => string | undefined {
  const cache = new Map<string, string | undefined>()
  return (hex) => {
    let text = cache.get(hex)
    if (text === undefined && !cache.has(hex)) {
      text = decodeProcAddress(hex, littleEndian)
      cache.set(hex, text)
    }
    return text
  }
}

/** ::ffff:1.2.3.4 -> 1.2.3.4, so an IPv4 flow matches a socket of a dual-stack listener. */
export function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

/** "addr:port" as ss prints it: IPv6 in brackets, "*" for port 0 (no peer, or any port). */
export function formatEndpoint(address: string, port: number): string {
  const host = address.includes(':') ? `[${address}]` : address
  return `${host}:${port === 0 ? '*' : port}`
}
