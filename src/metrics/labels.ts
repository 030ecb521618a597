// Label values come off the wire: a method name, an err_code, a server seen
// in a capture. Each label has a cap on distinct values; past it, and for
// values that cannot be a real one, the series is `other`, so garbage frames
// or a port scan cannot blow up the agent's memory or Prometheus' series.

/** The value that stands for everything past a label's cap. */
export const OTHER = 'other'

/** One label's distinct values: the first `max` admitted, the rest `other`. */
export class BoundedLabel {
  private readonly seen = new Set<string>()
  /** A value went to `other` (past the cap, or not plausible). */
  capped = false

  constructor(
    readonly name: string,
    readonly max: number,
    private readonly plausible: (v: string) => boolean = () => true,
  ) {}

  value(raw: string): string {
    if (this.seen.has(raw)) return raw
    if (this.seen.size >= this.max || !this.plausible(raw)) {
      this.capped = true
      return OTHER
    }
    this.seen.add(raw)
    return raw
  }

  get size(): number {
    return this.seen.size
  }
}

/** A protobuf full name as TinyPB carries it ("Order.makeOrder", "pkg.Order.makeOrder"): identifiers and dots, nothing else. */
const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/
/** Longer names are not a service's: rocket itself corrupts memory at 512. */
export const MAX_METHOD_NAME = 200

export function plausibleMethodName(name: string): boolean {
  return name.length <= MAX_METHOD_NAME && METHOD_NAME.test(name)
}

/**
 * "pkg.Order.makeOrder" -> service "pkg.Order", method "makeOrder": the
 * protobuf service's full name and the method (rocket splits at the first dot
 * instead, which is its bug with packages, not the name's meaning). No dot:
 * no service.
 */
export function splitMethodName(full: string): {service: string; method: string} {
  if (full === OTHER) return {service: OTHER, method: OTHER}
  const dot = full.lastIndexOf('.')
  return dot < 0 ? {service: '', method: full} : {service: full.slice(0, dot), method: full.slice(dot + 1)}
}

/** Codes from rpcdiag's own tables (causes, findings, decoder errors, warnings): upper-case words. */
export function plausibleCode(code: string): boolean {
  return code.length <= 64 && /^[A-Za-z0-9_.-]+$/.test(code)
}
