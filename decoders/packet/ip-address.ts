// IP addresses between wire bytes and text. Text follows what tcpdump and ss
// print: dotted quad for IPv4, RFC 5952 for IPv6 (lowercase, no leading zeros,
// the longest run of two or more zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d).

const V4_CACHE_MAX = 4096
const v4Cache = new Map<number, string>()

/** The IPv4 address at b[o..o+4) as a dotted quad. */
export function formatIpv4(b: Uint8Array, o: number): string {
  // A capture holds few distinct addresses: caching saves a string build per packet.
  const key = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
  let s = v4Cache.get(key)
  if (s === undefined) {
    s = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`
    if (v4Cache.size >= V4_CACHE_MAX) v4Cache.clear()
    v4Cache.set(key, s)
  }
  return s
}

/** The IPv6 address at b[o..o+16) in RFC 5952 form. */
export function formatIpv6(b: Uint8Array, o: number): string {
  const g: number[] = new Array(8)
  for (let i = 0; i < 8; i++) g[i] = (b[o + 2 * i] << 8) | b[o + 2 * i + 1]
  // ::ffff:a.b.c.d (IPv4-mapped), RFC 5952 section 5.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`
  }
  let bestAt = -1
  let bestLen = 1 // a single zero group is not shortened (RFC 5952 4.2.2)
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) {
      bestAt = i
      bestLen = j - i
    }
    i = j
  }
  if (bestAt === -1) return g.map((x) => x.toString(16)).join(':')
  const head = g.slice(0, bestAt).map((x) => x.toString(16)).join(':')
  const tail = g.slice(bestAt + bestLen).map((x) => x.toString(16)).join(':')
  return `${head}::${tail}`
}

/** Parse a dotted quad; undefined when it is not one. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (!m) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const v = Number(m[i + 1])
    if (v > 255) return undefined
    out[i] = v
  }
  return out
}

/** Parse IPv6 text ("::1", "fe80::1", "::ffff:1.2.3.4"); undefined when it is not IPv6. Zone ids are refused. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return []
    const parts = s.split(':')
    const out: number[] = []
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p)
        if (!v4) return undefined
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3])
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined
        out.push(parseInt(p, 16))
      }
    }
    return out
  }
  const head = parseGroups(halves[0])
  const tail = halves.length === 2 ? parseGroups(halves[1]) : []
  if (!head || !tail) return undefined
  const groups =
    halves.length === 2
      ? head.length + tail.length > 7
        ? undefined
        : [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
      : head
  if (!groups || groups.length !== 8) return undefined
  const out = new Uint8Array(16)
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i] >> 8
    out[2 * i + 1] = groups[i] & 0xff
  }
  return out
}
