import {openLibc} from './libc.js'

/** glibc's mallopt() parameter for the size above which malloc maps memory of its own (mallopt(3)). */
const M_MMAP_THRESHOLD = -3
/** glibc's default for it, and the value it is held at. */
const MMAP_THRESHOLD = 128 * 1024

export type MallocPolicy = {readonly applied: true} | {readonly applied: false; readonly why: string}

let applied: Promise<MallocPolicy> | undefined

/**
 * Make freed buffers go back to the kernel, for the long-running commands
 * (serve, sniff, the metrics agent).
 *
 * glibc starts by mapping every allocation over 128 KiB on its own and
 * unmapping it on free, but each time such a block is freed it raises that
 * threshold to the block's size (up to 32 MiB). A server that once held a few
 * MiB of someone's unfinished frame from then on takes buffers of that size
 * from its heap, where freeing them leaves holes the kernel never gets back:
 * the soak (bench/soak.ts) saw serve at +97% after the hostile phase, with
 * nothing held. Setting the threshold (mallopt M_MMAP_THRESHOLD, which is what
 * MALLOC_MMAP_THRESHOLD_=131072 does from the environment) turns the raising
 * off: +13% in the same soak.
 *
 * Through koffi (libc.ts). Not glibc (musl, macOS), no koffi binary for
 * this platform, or the environment already sets the threshold: nothing is
 * changed, and the answer says why. Once per process; later calls return the
 * first answer.
 */
export function holdMmapThreshold(): Promise<MallocPolicy> {
  applied ??= apply()
  return applied
}

async function apply(): Promise<MallocPolicy> {
  const setByEnvironment = process.platform === 'linux' && process.env.MALLOC_MMAP_THRESHOLD_ !== undefined
  if (setByEnvironment) return {applied: false, why: 'MALLOC_MMAP_THRESHOLD_ is set in the environment'}
  const libc = await openLibc()
  if (!libc.ok) return {applied: false, why: libc.why}
  const mallopt = libc.fn<(param: number, value: number) => number>('int mallopt(int param, int value)')
  return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) === 1 ? {applied: true} : {applied: false, why: 'mallopt refused M_MMAP_THRESHOLD'}
}
