// Read Prometheus' text exposition back (what GET /metrics serves), for tests:
// sample lines `name{label="value",...} number`, label values unescaped.

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not an exposition line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    }
    out.push({name: m[1], labels, value: Number(m[3])})
  }
  return out
}

/** The sum of the samples of `name` whose labels include `match`. */
export function total(samples: readonly Sample[], name: string, match: Readonly<Record<string, string>> = {}): number {
  let n = 0
  for (const s of samples) if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) n += s.value
  return n
}

/** The samples of `name` whose labels include `match`. */
export function series(samples: readonly Sample[], name: string, match: Readonly<Record<string, string>> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
}
