// sniff's output on a terminal or a pipe: the SniffOutput that runSniff feeds,
// built from the flags. Lines (human or NDJSON) in blocks, held briefly for
// process names on a live capture, and a progress line while a file is read.

import type {SniffContext, SniffOutput} from '../../sniff/index.js'
import type {ChalkInstance} from 'chalk'

import {CaptureTimeFormat} from './format.js'
import {SniffHumanRenderer} from './human.js'
import {SniffJsonRenderer} from './json.js'
import {type LineWriter, SniffPrinter} from './output.js'
import {ProgressLine, progressText} from './progress.js'

export interface TerminalOutputOptions {
  readonly out: LineWriter
  readonly colors: ChalkInstance
  readonly json: boolean
  readonly verbose: boolean
  readonly hex: boolean
  /** The file being read, for the progress line ("stdin" for -). */
  readonly fileName: string
  /** Where the progress line goes, when stderr is a terminal. */
  readonly progress?: (text: string) => void
}

export function terminalOutput(ctx: SniffContext, opts: TerminalOutputOptions): SniffOutput {
  const {source, session, attribution, live} = ctx
  const times = new CaptureTimeFormat(() => session.baseSec)
  const printer = new SniffPrinter({
    out: opts.out,
    json: opts.json ? new SniffJsonRenderer({clock: times, verbose: opts.verbose, hex: opts.hex}) : undefined,
    human: opts.json ? undefined : new SniffHumanRenderer({colors: opts.colors, clock: times, verbose: opts.verbose, hex: opts.hex}),
    attribution,
    // Reading the socket table takes a few hundred ms on a busy machine.
    maxDelayMs: 1000,
  })
  const started = performance.now()
  const progress = !live && !opts.json && opts.progress !== undefined ? new ProgressLine(opts.progress) : undefined
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
