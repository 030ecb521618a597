import {holdMmapThreshold} from './malloc-policy.js'
import {capYoungGeneration} from './young-generation.js'

/**
 * What a command that runs for hours beside hostile traffic (serve, a live
 * sniff) does at start, so that what a burst took goes back once it is over:
 * freed buffers return to the kernel (glibc's mmap threshold held,
 * malloc-policy.ts), and V8's young generation is not left at twice its size
 * (young-generation.ts). Imported by path, not through src/net's index:
 * young-generation.ts loads node:perf_hooks and node:v8 with it, which a
 * one-shot command has no use for (clock.ts keeps perf_hooks out of its start).
 */
export async function keepMemoryReturnable(): Promise<void> {
  capYoungGeneration()
  await holdMmapThreshold()
}
