import {constants, PerformanceObserver} from 'node:perf_hooks'
import {getHeapSpaceStatistics, setFlagsFromString} from 'node:v8'

/** The new space a long-running command lets V8 grow to: two 8 MiB semi-spaces. */
const YOUNG_GENERATION_CAP = 16 * 1024 * 1024
/** V8's own growth factor, put back when the new space is below the cap again. */
const V8_GROWTH_FACTOR = 2

/**
 * Keep V8's young generation (the new space) at or below `cap`, for the
 * long-running commands.
 *
 * Under a burst of allocation (an attack on serve, a flood on sniff) V8 doubles
 * the new space up to 32 MiB and never gives it back while traffic goes on:
 * serve ended the soak 16-23 MiB above its level before the attack, all of it
 * new space (node --report-on-signal). The ceiling itself is only settable on
 * node's command line (--max-semi-space-size), which a bin cannot pass without
 * starting a second node; the growth factor is read each time the space grows,
 * so after every scavenge this sets it to 1 (no growth) once the space reaches
 * the cap, and back to V8's 2 if V8 shrank it below. V8's flags are the
 * process's: a worker thread's new space (sniff's socket-table worker) stops
 * growing too while the main thread's is at the cap. Returns a function that
 * stops watching (the factor stays as it is).
 *
 * Node hands gc entries to the observer a turn of the event loop after the
 * scavenge: a turn that allocates enough for two growing scavenges before
 * the observer runs can take the space one step past the cap (V8's flags give
 * no synchronous hook). A server's turns (one batch of reads) are far smaller.
 */
export function capYoungGeneration(cap = YOUNG_GENERATION_CAP): () => void {
  let pinned = false
  const check = () => {
    const size = newSpaceSize()
    if (size === undefined) return
    const atCap = size >= cap
    if (atCap === pinned) return
    pinned = atCap
    setFlagsFromString(`--semi-space-growth-factor=${atCap ? 1 : V8_GROWTH_FACTOR}`)
  }
  check()
  const observer = new PerformanceObserver((list) => {
    // A scavenge: after one, V8 may have grown the space.
    if (list.getEntries().some((e) => (e as {detail?: {kind?: number}}).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)) check()
  })
  observer.observe({entryTypes: ['gc']})
  return () => observer.disconnect()
}

function newSpaceSize(): number | undefined {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size
}
