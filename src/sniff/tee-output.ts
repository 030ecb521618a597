// One sniff, several consumers: the terminal printer, the report and the metrics all see
// every event of the same session, in order (one pipeline, never two).
//
//   output: (ctx) => teeOutputs(withoutFrames(terminalOutput(ctx, ...)), metrics.output(ctx))

import type {SniffEvent} from './events.js'
import type {SniffOutput} from './run-sniff.js'

/** Every event, batch and end goes to each output in turn. */
export function teeOutputs(...outputs: ReadonlyArray<SniffOutput | undefined>): SniffOutput {
  const outs = outputs.filter((o): o is SniffOutput => o !== undefined)
  if (outs.length === 1) return outs[0]
  return {
    event(e) {
      for (let i = 0; i < outs.length; i++) outs[i].event(e)
    },
    batch() {
      for (const o of outs) o.batch?.()
    },
    end() {
      for (const o of outs) o.end?.()
    },
    // The slowest consumer paces the capture.
    ready() {
      const waits = outs.map((o) => o.ready?.()).filter((w) => w !== undefined)
      return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined)
    },
  }
}

/**
 * An output that does not see `frame` events: the session reports every frame
 * when one consumer needs them (metrics count requests as they arrive), while
 * the printer shows them only with --frames.
 */
export function withoutFrames(output: SniffOutput): SniffOutput {
  return {
    event: (e: SniffEvent) => {
      if (e.type !== 'frame') output.event(e)
    },
    batch: output.batch === undefined ? undefined : () => output.batch!(),
    end: output.end === undefined ? undefined : () => output.end!(),
    ready: output.ready === undefined ? undefined : () => output.ready!(),
  }
}
