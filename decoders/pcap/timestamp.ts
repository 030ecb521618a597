// pcapng timestamps are 64-bit counts of units since the epoch, split in two
// 32-bit halves; the unit comes from if_tsresol (10^-n or 2^-n seconds). A
// nanosecond count (~1.7e18) does not fit in a double, so the conversion to
// seconds + nanoseconds is done exactly without BigInt on the hot path.

const TWO32 = 4294967296

/** Units per second for an if_tsresol byte: MSB clear -> 10^v, MSB set -> 2^v. */
export function unitsPerSecond(tsresol: number): number {
  return tsresol & 0x80 ? 2 ** (tsresol & 0x7f) : 10 ** tsresol
}

/**
 * Split the 64-bit count high:low of `units` per second into [seconds, nanoseconds].
 * Exact for decimal resolutions up to 10^-11 and binary ones up to 2^-32.
 */
export function splitTimestamp(high: number, low: number, units: number): [number, number] {
  if (units === 1e6 && high < 0x200000) {
    // Microseconds below 2^53: plain double arithmetic is exact.
    const total = high * TWO32 + low
    const sec = Math.floor(total / 1e6)
    return [sec, (total - sec * 1e6) * 1000]
  }
  if (Number.isInteger(Math.log2(units)) && units <= TWO32 && units >= 1) {
    const sec = high * (TWO32 / units) + Math.floor(low / units)
    const frac = low % units
    return [sec, Math.floor((frac / units) * 1e9)]
  }
  if (units <= 1e11 && Number.isInteger(units)) {
    // Long division in 16-bit limbs: every intermediate stays below 2^53.
    const limbs = [high >>> 16, high & 0xffff, low >>> 16, low & 0xffff]
    let q = 0
    let r = 0
    for (const limb of limbs) {
      const cur = r * 65536 + limb
      const d = Math.floor(cur / units)
      r = cur - d * units
      q = q * 65536 + d
    }
    return [q, toNanos(r, units)]
  }
  const total = (BigInt(high) << 32n) | BigInt(low)
  const u = BigInt(Math.round(units))
  return [Number(total / u), Number(((total % u) * 1_000_000_000n) / u)]
}

function toNanos(r: number, units: number): number {
  if (units === 1e9) return r
  if (units < 1e9 && 1e9 % units === 0) return r * (1e9 / units)
  if (units > 1e9 && units % 1e9 === 0) return Math.floor(r / (units / 1e9))
  return Math.floor((r * 1e9) / units)
}
