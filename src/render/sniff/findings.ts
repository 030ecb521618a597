// The summary's Expert Info: each kind of finding once, with its count, where
// it was seen and its first example (the human output printed that one and
// held back the repeats; -v prints them all).

import type {ChalkInstance} from 'chalk'

import {displayText} from '../../../decoders/string/index.js'
import type {RolledFinding, SniffEvent} from '../../sniff/index.js'
import {fitLine, wrapLine} from '../fit-width.js'
import type {CaptureTimeFormat} from './format.js'

function example(e: SniffEvent): string {
  switch (e.type) {
    case 'warning':
    case 'malformed':
      return displayText(e.message)
    case 'gap':
      return `${e.missing} bytes ${e.cause === 'truncated' ? 'cut by the snap length' : 'lost'} from the ${e.from}`
    default:
      return ''
  }
}

/** `SERVER_NO_FIN ×23 on 127.0.0.1:12346` lines, most frequent first; none when nothing was found. */
export function renderFindings(
  found: readonly RolledFinding[],
  o: {colors: ChalkInstance; clock: CaptureTimeFormat; width?: number; verbose: boolean; /** Lines were printed per event (not -q, not field output). */ printed: boolean},
): string[] {
  if (found.length === 0) return []
  const c = o.colors
  const held = found.some((f) => f.count > 1) && !o.verbose && o.printed
  const out = wrapLine(`Findings${held ? ' (repeats rolled up: the first of each was printed; -v prints every one)' : ''}:`, o.width)
  for (const f of found) {
    const where = f.where === '' ? '' : ` on ${f.where}`
    const more = f.count > 1 && !o.verbose && o.printed ? `, and ${f.count - 1} more like it` : ''
    const head = `  ${c.yellow(f.code)} ×${f.count}${where}${more}`
    out.push(fitLine(head, o.width))
    const text = example(f.first)
    if (text !== '') out.push(...wrapLine(`    first ${o.clock.clock(f.first.t)}: ${text}`, o.width))
  }
  return out
}
