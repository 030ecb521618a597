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
    setGrowthFactor(atCap ? 1 : V8_GROWTH_FACTOR)
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

/**
 * Keep the young generation at the size V8 starts it with (1 MiB
 * semi-spaces) for the rest of this process: for a one-shot run whose data
 * lives until it is printed. V8 grows the new space each time as many bytes
 * have survived scavenges as it holds, so a `sockets` snapshot of 30,000 rows
 * grew it to the top and then allocated through ~24 MiB of pages it had never
 * touched. On a VM that backs a guest's page on first touch that is ~13 us a
 * 4 KB page: `sockets --json` over 30,000 sockets touched 6,000 fewer pages and
 * took 88 ms less with this (bench/sockets.ts). A long run that reads a
 * capture is the other way round (sniff --read: 19% slower), and a call's new
 * space never grows, so only `sockets` calls this, in its direct run.
 *
 * It runs after the direct run's bundle is loaded from its code cache (the
 * flag enters V8's flag hash, which a cache must match).
 */
export function keepYoungGenerationSmall(): void {
  setGrowthFactor(1)
}

/**
 * Scavenge on the main thread alone (V8's --no-parallel-scavenge) for the
 * rest of this process: for reading a capture, whose young generation is
 * nearly all garbage by each scavenge. There are as many scavenges, each
 * shorter: starting and joining the helper threads costs more on this 2-core
 * VM than the copying they share. sniff --read over the 2M-packet capture:
 * 180-200 ms of scavenges against 272, and less wall and CPU time
 * (bench/sniff.ts). `sockets`, whose scavenges copy 30,000 surviving rows,
 * was 4% slower with it, and a call's two scavenges were no faster. This
 * flag is not in V8's flag hash (a code cache made before it is still
 * taken), so unlike the growth factor it needs no putting back at exit.
 */
export function scavengeOnMainThread(): void {
  setFlagsFromString('--no-parallel-scavenge')
}

let restoredAtExit = false

/**
 * V8's growth factor for the new space, put back to V8's own first thing at
 * exit. A flag enters V8's flag hash, which a code cache must match, and the
 * build writes a direct run's cache at the exit of training runs of its bundle
 * (bin/code-cache.js): written under a changed hash, every later run rejected
 * it (a `sockets` run changes it at once; a `sniff --read` once its new space
 * reaches the cap).
 */
function setGrowthFactor(factor: number): void {
  setFlagsFromString(`--semi-space-growth-factor=${factor}`)
  if (restoredAtExit) return
  restoredAtExit = true
  process.prependOnceListener('exit', () => setFlagsFromString(`--semi-space-growth-factor=${V8_GROWTH_FACTOR}`))
}
