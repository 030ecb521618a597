import {setFlagsFromString} from 'node:v8'

/**
 * Keeps V8's young generation at the size it starts with (1 MB semi-spaces)
 * for the rest of this process. V8 doubles it, up to 16 MB semi-spaces, each
 * time as many bytes have survived a scavenge as it holds: a one-shot run that
 * builds a table of tens of thousands of rows, all alive until printed, grows
 * it to the top, and then allocates through 32 MB of pages it never touched.
 * On this kind of machine (a VM that backs a guest's page on first touch) a
 * fresh 4 KB page costs ~13 us: `sockets --json` over 30,000 sockets touched
 * 6,000 fewer pages and took 88 ms less with it (bench/sockets.ts). A long run
 * that reads a capture is the other way round (sniff --read: 19% slower), so
 * only the commands that gain call this, and only in their own process (a
 * direct run).
 *
 * V8 reads the growth factor each time it would grow the young generation, so
 * setting it after start-up takes effect. A flag enters V8's flag hash, which
 * a code cache must match: it is set after the direct run's bundle is loaded
 * from its cache, and put back first thing at exit, since the build writes
 * that cache at the exit of runs of the bundle (bin/code-cache.js): written
 * under the changed hash, every later run rejected it.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString(`--semi-space-growth-factor=${SMALL}`)
  process.prependOnceListener('exit', () => setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT}`))
}

const SMALL = 1
/** V8's own default (v8 flag-definitions.h: semi_space_growth_factor). */
const V8_DEFAULT = 2
