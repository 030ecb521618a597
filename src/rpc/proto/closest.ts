/**
 * "Did you mean" for method and field names: the candidates nearest to a
 * mistyped name by edit distance, ignoring case, like git's and npm's hints.
 */

/** Levenshtein distance with one row of memory. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  if (a.length === 0) return b.length
  if (b.length === 0) return a.length
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  let cur = new Array<number>(b.length + 1)
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    }
    ;[prev, cur] = [cur, prev]
  }
  return prev[b.length]
}

/**
 * The candidates close enough to name to be a likely typo, best first. A
 * candidate qualifies when it differs by at most a third of its length, or
 * when one name ends with the other (a missing or extra package prefix).
 */
export function closest(name: string, candidates: readonly string[], max = 3): string[] {
  const lower = name.toLowerCase()
  const scored: Array<{c: string; d: number}> = []
  for (const c of candidates) {
    const cl = c.toLowerCase()
    let d = editDistance(lower, cl)
    if (cl.endsWith('.' + lower) || lower.endsWith('.' + cl)) d = Math.min(d, 1)
    if (d <= Math.max(2, Math.floor(c.length / 3))) scored.push({c, d})
  }
  scored.sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
  return scored.slice(0, max).map((s) => s.c)
}
