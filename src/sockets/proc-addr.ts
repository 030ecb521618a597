import {endianness} from 'node:os'

import {formatIpv6} from '../../decoders/packet/ip-address.js'

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

/** Text of a /proc/net address field ("0100007F" or 32 hex digits); undefined when malformed. */
export function decodeProcAddress(hex: string, littleEndian = LITTLE_ENDIAN): string | undefined {
  const bytes = procHexToBytes(hex, littleEndian)
  if (bytes === undefined) return undefined
  return bytes.length === 4 ? bytes.join('.') : formatIpv6(Uint8Array.from(bytes), 0)
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
