// sniff's output on a terminal or a pipe: the SniffOutput that runSniff feeds,
// built from the flags. Lines (human, NDJSON or fields) in blocks, held
// briefly for process names on a live capture, and a progress line while a
// file is read. Before the printer: -Y's selection (and its tally), and the
// rollup of repeated findings, which the human output prints once each.

import type {CallSelection, FindingRollup, SniffContext, SniffEvent, SniffOutput} from '../../sniff/index.js'
import {callOf} from '../../sniff/index.js'
import type {ChalkInstance} from 'chalk'

import type {FieldsRenderer} from './fields-output.js'
import {CaptureTimeFormat} from './format.js'
import {SniffHumanRenderer} from './human.js'
import {SniffJsonRenderer} from './json.js'
import {type LineWriter, SniffPrinter} from './output.js'
import {ProgressLine, progressText} from './progress.js'

export interface TerminalOutputOptions {
  readonly out: LineWriter
  readonly colors: ChalkInstance
  /** NDJSON (--format ndjson, --json). */
  readonly json: boolean
  readonly verbose: boolean
  readonly hex: boolean
  /** The file being read, for the progress line ("stdin" for -). */
  readonly fileName: string
  /** Where the progress line goes, when stderr is a terminal. */
  readonly progress?: (text: string) => void
  /** -T fields, --format csv|tsv: one line of fields per call (non-call events are not printed). */
  readonly fields?: FieldsRenderer
  /** The capture's clock (shared with the fields renderer and the summary). */
  readonly times?: CaptureTimeFormat
  /** -Y: only the calls it lets through are printed. */
  readonly selection?: CallSelection
  /** Findings counted by kind; without -v the human output prints each kind once. */
  readonly rollup?: FindingRollup
  /** -q: count, print no events. */
  readonly quiet?: boolean
  /** Columns to fit (human output on a terminal). */
  readonly width?: number
}

export function terminalOutput(ctx: SniffContext, opts: TerminalOutputOptions): SniffOutput {
  const {source, session, attribution, live} = ctx
  const times = opts.times ?? new CaptureTimeFormat(() => session.baseSec)
  const fields = opts.fields
  // Repeats are held back from the human output only: NDJSON keeps every event.
  const rollRepeats = !opts.json && fields === undefined && !opts.verbose
  const show = (e: SniffEvent): boolean => {
    const first = opts.rollup?.add(e) ?? true
    const selected = opts.selection?.admit(e) ?? true
    return selected && !opts.quiet && (first || !rollRepeats)
  }
  const printer = new SniffPrinter({
    admit: show,
    out: opts.out,
    json: opts.json ? new SniffJsonRenderer({clock: times, verbose: opts.verbose, hex: opts.hex}) : undefined,
    human: opts.json || fields !== undefined ? undefined : new SniffHumanRenderer({colors: opts.colors, clock: times, verbose: opts.verbose, hex: opts.hex, width: opts.width}),
    fields: fields === undefined ? undefined : (e) => {
      const call = callOf(e)
      return call === undefined ? undefined : fields.line(call)
    },
    attribution,
    // Reading the socket table takes a few hundred ms on a busy machine.
    maxDelayMs: 1000,
  })
  const header = fields?.header()
  if (header !== undefined && !opts.quiet) opts.out.line(header)
  const started = performance.now()
  const progress = !live && !opts.json && fields === undefined && opts.progress !== undefined ? new ProgressLine(opts.progress) : undefined
  return {
    event: (e) => printer.event(e),
    batch() {
      printer.drain(false)
      if (progress !== undefined) {
        opts.out.flush()
        progress.update(() => progressText(opts.fileName, source.stats(), session.stats.counters.requests, performance.now() - started))
      } else if (live) opts.out.flush()
    },
    end() {
      progress?.clear()
      printer.drain(true)
    },
    ready: () => opts.out.ready(),
  }
}
