// glibc through koffi (src/net/libc.ts): loaded once per process, each
// prototype declared once. koffi keeps native memory for every load and every
// declaration, and sniff's socket-table worker reads the table ten times a
// second, each read making a new fd reader (src/sockets/process-fds.ts).
import {execFileSync} from 'node:child_process'

import {describe, expect, it} from 'vitest'

import {openLibc} from '../../src/net/libc.js'

describe('openLibc', () => {
  it.runIf(process.platform === 'linux')('hands out one library and one function per prototype', async () => {
    const [a, b] = [await openLibc(), await openLibc()]
    expect(a).toBe(b)
    if (!a.ok) throw new Error(a.why)
    const getpid = a.fn<() => number>('int getpid()')
    expect(a.fn('int getpid()')).toBe(getpid)
    expect(getpid()).toBe(process.pid)
  })

  it.runIf(process.platform === 'linux')('20,000 fd readers, as half an hour of sniff makes, leave RSS where it was', () => {
    // A fresh process: RSS after a first reader, then after 20,000 more (each through openLibc, as
    // collectSockets makes one per read of the table). Each made its own declarations before: +70-160 MB.
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `
const {openLibc} = await import('./src/net/libc.ts')
const {socketFdReader} = await import('./src/sockets/process-fds.ts')
const read = async () => socketFdReader('/proc', await openLibc()).read(String(process.pid), () => {})
await read()
const before = process.memoryUsage().rss
for (let i = 0; i < 20000; i++) await read()
console.log((process.memoryUsage().rss - before) / 1048576)
`,
      ],
      {encoding: 'utf8', timeout: 60_000},
    )
    expect(Number(out)).toBeLessThan(25)
  }, 90_000)
})
