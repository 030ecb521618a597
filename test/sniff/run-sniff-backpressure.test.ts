// sniff --read into a slow reader: the capture must wait for stdout, not pile
// its lines up in memory (325 MB peak behind `| tail` before this). A real
// capture file, a real Writable whose writes complete only when the test lets
// them; the file source must stop reading while the output is full.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Writable} from 'node:stream'

import {Chalk} from 'chalk'
import {afterAll, describe, expect, it} from 'vitest'

import {generateSniffPcap} from '../../bench/sniff-pcap.js'
import {LineWriter, terminalOutput} from '../../src/render/sniff/index.js'
import {runSniff} from '../../src/sniff/index.js'

const tmp = mkdtempSync(join(tmpdir(), 'rpcdiag-backpressure-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))
const CALLS = 20_000
const file = join(tmp, 'calls.pcap')
const generated = generateSniffPcap(file, CALLS)

/** A pipe nobody reads yet: each write completes only once released. */
class HeldPipe extends Writable {
  held: Array<() => void> = []
  bytes = 0
  constructor() {
    super({highWaterMark: 16 * 1024})
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.bytes += chunk.length
    this.held.push(done)
  }
  release(): void {
    const h = this.held
    this.held = []
    for (const done of h) done()
  }
}

describe.each([false, true])('sniff --read into a reader that does not keep up (json %s)', (json) => {
  it('stops reading the file while stdout is full, then prints every call', async () => {
    const pipe = new HeldPipe()
    const out = LineWriter.toStream(pipe)
    const r = await runSniff({
      capture: {read: file},
      session: {timeoutMs: 100},
      output: (ctx) => terminalOutput(ctx, {out, colors: new Chalk({level: 0}), json, verbose: false, hex: false, fileName: file}),
    })
    if (!r.ok) throw r.error
    const {source} = r.value
    // Let the pipeline run into the full pipe and stall there.
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    const stalledAt = source.stats().fileBytesRead!
    // A chunk or two of 256 KiB, never the whole file.
    expect(stalledAt).toBeLessThan(2 * 1024 * 1024)
    expect(stalledAt).toBeLessThan(generated.bytes / 4)
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(source.stats().fileBytesRead).toBe(stalledAt)
    // The reader catches up: everything goes through.
    const releaser = setInterval(() => pipe.release(), 1)
    const outcome = await r.value.done
    out.flush()
    clearInterval(releaser)
    pipe.release()
    expect(outcome.summary.requests).toBe(CALLS)
    expect(source.stats().fileBytesRead).toBe(generated.bytes)
  })
})
