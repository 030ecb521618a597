// A reader that leaves rpcdiag's output unread for a while (`rpcdiag sockets
// --json | less`, a paused pipe): the command must wait for it, however long,
// and finish cleanly. oclif's flush() gave up after 10 s with a stack trace
// ("CLIError: timed out"); bin/dev.js used it, and the sockets tests, which
// run the sources through it, failed with it on a busy machine.
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {createServer, connect, type Server, type Socket} from 'node:net'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildCli} from '../rpc/helpers/cli-process.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PAUSE_MS = 11_000
const CONNECTIONS = 300

let server: Server
let port: number
const sockets: Socket[] = []

beforeAll(async () => {
  buildCli()
  server = createServer((s) => sockets.push(s))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  port = (server.address() as {port: number}).port
  // 300 connections: 601 sockets on the port, about 170 KB of --json, more than a pipe and stdout's buffer hold.
  for (let i = 0; i < CONNECTIONS; i++) {
    const c = connect({host: '127.0.0.1', port})
    sockets.push(c)
    await once(c, 'connect')
  }
}, 120_000)

afterAll(() => {
  for (const s of sockets) s.destroy()
  server?.close()
})

/**
 * Run the CLI into a bash pipe (pipefail: the CLI's exit code) whose reader sleeps PAUSE_MS before reading.
 * (A pipe of the shell, not a paused child_process stream: Node resumes, and
 * empties, the streams of a child that exits.)
 */
async function runPaused(argv: string[]) {
  const cli = [process.execPath, ...argv, 'sockets', '--json', '--port', String(port)].map((a) => `'${a}'`).join(' ')
  const child = spawn('bash', ['-c', `set -o pipefail; ${cli} | (sleep ${PAUSE_MS / 1000}; cat)`], {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const [code] = (await once(child, 'close')) as [number | null]
  return {code, stderr, stdout}
}

describe('a reader that pauses longer than 10 s', () => {
  it.each([
    ['bin/run.js (the build)', ['bin/run.js']],
    ['bin/dev.js (the sources)', ['--import', 'tsx', 'bin/dev.js']],
  ])('%s waits for it and prints everything', async (_name, argv) => {
    const r = await runPaused(argv)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.length).toBeGreaterThan(100_000)
    // Every socket this test holds is there (another test's may share the port number, as a peer port).
    const report = JSON.parse(r.stdout) as {sockets: Array<{pid?: number | null}>}
    expect(report.sockets.filter((s) => s.pid === process.pid)).toHaveLength(2 * CONNECTIONS + 1)
  }, 60_000)
})
