import {type ChildProcess, spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {createServer, type Server, type ServerOpts, type Socket} from 'node:net'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'

import {collectSockets, type CollectOptions, type SocketRow, type SocketTable} from '../../src/sockets/index.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PEER = fileURLToPath(new URL('peer.mjs', import.meta.url))
const DEV = fileURLToPath(new URL('../../bin/dev.js', import.meta.url))

/** This process's name as the kernel has it (vitest workers are "node", but do not assume). */
export const OWN_COMM = readFileSync('/proc/self/comm', 'utf8').trim()

export interface Peer {
  readonly child: ChildProcess
  readonly info: {port?: number; localPorts?: number[]; path?: string}
  stop(): Promise<void>
}

/** Start test/sockets/peer.mjs and wait for its ready line. */
export function spawnPeer(args: string[]): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PEER, ...args], {stdio: ['pipe', 'pipe', 'inherit']})
    let out = ''
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done()
        child.once('exit', () => done())
        child.kill('SIGKILL')
      })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`peer ${args.join(' ')} exited with ${code} before it was ready`)))
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve({child, info: JSON.parse(out.slice(0, nl)), stop})
    })
  })
}

export function listen(opts: ServerOpts = {}, onConnection?: (s: Socket) => void, host = '127.0.0.1'): Promise<Server & {port: number}> {
  return new Promise((resolve, reject) => {
    const server = createServer(opts, (s) => {
      s.on('error', () => {})
      onConnection?.(s)
    })
    server.once('error', reject)
    server.listen(0, host, () => resolve(Object.assign(server, {port: (server.address() as {port: number}).port})))
  })
}

/**
 * Snapshot the kernel tables until `ok` holds. The kernel moves sockets
 * between states on its own schedule (a FIN is processed after our write
 * returns), so tests wait for the state, bounded only by the test timeout.
 */
export async function collectUntil(opts: CollectOptions, ok: (t: SocketTable) => boolean): Promise<SocketTable> {
  for (;;) {
    const table = await collectSockets(opts)
    if (ok(table)) return table
    await new Promise((r) => setTimeout(r, 20))
  }
}

export function find(rows: readonly SocketRow[], local: number, peer?: number): SocketRow | undefined {
  return rows.find((r) => r.localPort === local && (peer === undefined || r.peerPort === peer))
}

export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Run `rpcdiag sockets ARGS` as bin/dev.js does: a real process, from the
 * TypeScript sources; or, with `bin`, that built CLI (bin/run.js of a copy
 * another user can reach: test/helpers/other-user.ts).
 */
export function runCli(args: string[], opts: {uid?: number; gid?: number; env?: NodeJS.ProcessEnv; bin?: string} = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const argv = opts.bin === undefined ? ['--import', 'tsx', DEV, 'sockets', ...args] : [opts.bin, 'sockets', ...args]
    const child = spawn(process.execPath, argv, {
      cwd: opts.bin === undefined ? ROOT : dirname(dirname(opts.bin)),
      env: {...process.env, NO_COLOR: '1', ...opts.env},
      uid: opts.uid,
      gid: opts.gid,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.once('error', reject)
    child.once('close', (code) => resolve({code, stdout, stderr}))
  })
}

/** Start the CLI and hand back the child, for --watch. */
export function startCli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', DEV, 'sockets', ...args], {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}})
}

/** Open `n` connections that this process closes first, so each ends in TIME-WAIT here. */
export async function timeWaitConnections(port: number, n: number): Promise<number[]> {
  const { connect } = await import('node:net')
  const ports: number[] = []
  for (let i = 0; i < n; i++) {
    ports.push(
      await new Promise<number>((resolve, reject) => {
        const s = connect({host: '127.0.0.1', port}, () => {
          const local = s.localPort!
          s.end()
          s.resume()
          s.once('close', () => resolve(local))
        })
        s.once('error', reject)
      }),
    )
  }
  return ports
}
