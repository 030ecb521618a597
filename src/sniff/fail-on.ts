// --fail-on: what makes sniff exit non-zero (EXIT_FINDINGS, src/cli/exit-codes.ts),
// for CI: `rpcdiag sniff -r run.pcap --fail-on unanswered,error`. Calls are
// counted as -Y shows them (all calls without -Y); malformed frames and
// peer-safety findings are counted over the whole capture.

import {err, ok, type Result, UsageError} from '../errors.js'
import type {CallSelection} from './display-filter/index.js'
import type {SniffSummary} from './transactions/index.js'

export const FAIL_ON_KINDS = ['unanswered', 'error', 'malformed', 'duplicate', 'uncertain', 'peer-safety'] as const
export type FailOnKind = (typeof FAIL_ON_KINDS)[number]

/** "unanswered,error" (repeatable) to the kinds; "any" is all of them. */
export function parseFailOn(values: readonly string[]): Result<FailOnKind[], UsageError> {
  const out = new Set<FailOnKind>()
  for (const word of values.flatMap((v) => v.split(',')).map((w) => w.trim().toLowerCase())) {
    if (word === '') continue
    if (word === 'any' || word === 'all') FAIL_ON_KINDS.forEach((k) => out.add(k))
    else if ((FAIL_ON_KINDS as readonly string[]).includes(word)) out.add(word as FailOnKind)
    else return err(new UsageError('BAD_FLAGS', `--fail-on: no kind "${word}"; kinds: ${FAIL_ON_KINDS.join(', ')}, any`))
  }
  return ok([...out])
}

/** What was seen of the kinds asked for: ["2 unanswered", "1 error"], empty when none. */
export function failOnFindings(kinds: readonly FailOnKind[], calls: CallSelection, summary: SniffSummary): string[] {
  const count: Record<FailOnKind, number> = {
    unanswered: calls.matchedBy.unanswered,
    error: calls.matchedBy.error,
    duplicate: calls.matchedBy.duplicate,
    uncertain: calls.matchedBy.uncertain,
    malformed: summary.malformedFrames,
    'peer-safety': summary.peerSafetyFindings,
  }
  return kinds.filter((k) => count[k] > 0).map((k) => `${count[k]} ${k}`)
}
