// rocket (github.com/Gooddbird/rocket) as the benches' peer: its test RPC
// server (test_rpc_server, Order.makeOrder), its test client (test_rpc_client:
// one call per process) and rocket_loop (N calls through rocket's RpcChannel,
// a new connection each), built by bench/rocket/build.sh into
// $RPCDIAG_ROCKET_DIR (default /opt/rocket). Where they are missing, findRocket()
// says how to build them and the benches print that line instead of the rows.
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export const ROCKET_DIR = process.env.RPCDIAG_ROCKET_DIR ?? '/opt/rocket'

export interface RocketPeer {
  readonly dir: string
  readonly server: string
  /** One call per process: `test_rpc_client HOST:PORT`, exit 0 when answered. */
  readonly client: string
  /** `rocket_loop HOST:PORT CALLS [TIMEOUT_MS] [LOG_LEVEL]`, one JSON line. */
  readonly loop: string
  /** The commit and patches it was built from (PREFIX/BUILD-INFO), one line. */
  readonly info: string
}

export type RocketLookup = {readonly ok: true; readonly peer: RocketPeer} | {readonly ok: false; readonly why: string}

export function findRocket(dir = ROCKET_DIR): RocketLookup {
  const peer = {dir, server: join(dir, 'bin', 'test_rpc_server'), client: join(dir, 'bin', 'test_rpc_client'), loop: join(dir, 'bin', 'rocket_loop')}
  const missing = [peer.server, peer.client, peer.loop].filter((f) => !existsSync(f))
  if (missing.length > 0) {
    return {
      ok: false,
      why:
        `rocket's C++ client and server are not installed (${missing.join(', ')} missing; RPCDIAG_ROCKET_DIR=${dir}): ` +
        'build them with `bench/rocket/build.sh ROCKET_SRC [PREFIX]` from a checkout of github.com/Gooddbird/rocket, then set RPCDIAG_ROCKET_DIR=PREFIX',
    }
  }
  const infoFile = join(dir, 'BUILD-INFO')
  const lines = existsSync(infoFile) ? readFileSync(infoFile, 'utf8').split('\n') : []
  const commit = lines.find((l) => l.startsWith('rocket commit:'))?.slice('rocket commit:'.length).trim() ?? 'unknown commit'
  const patches = lines.find((l) => l.startsWith('patches:'))?.slice('patches:'.length).trim() ?? ''
  const opt = / (-O\w*)/.exec(lines.find((l) => l.startsWith('flags:')) ?? '')?.[1] ?? '-O0'
  return {ok: true, peer: {...peer, info: `rocket ${commit.slice(0, 12)} (${opt}) from ${dir}${patches === '' ? '' : `, patches ${patches}`}`}}
}

export interface RocketServer {
  readonly pid: number
  readonly host: string
  readonly port: number
  readonly addr: string
  /** SIGKILL: rocket's server ignores SIGTERM. Also removes its config and log directory. */
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address() as {port: number}
      s.close(() => resolve(port))
    })
  })
}

/** True once /proc/net/tcp lists a socket listening on 127.0.0.1:port (no probe connection: rocket would keep it forever). */
function listening(port: number): boolean {
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((line) => {
      const f = line.trim().split(/\s+/)
      return f[1] === hex && f[3] === '0A'
    })
}

/** Servers still running: killed when the bench ends, however it ends. */
const running = new Set<ChildProcess>()
let killedAtEnd = false

/**
 * A rocket server outlives the bench that started it unless killed (it is a
 * process of its own), and keeps every connection it was ever sent: a script
 * using this module, stopped with SIGTERM, once left three alive, holding
 * 7,000 CLOSE_WAIT sockets that the next bench/sockets.ts run counted as its own.
 */
function stopAtExit(child: ChildProcess): void {
  if (!killedAtEnd) {
    killedAtEnd = true
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL')
    })
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        for (const c of running) c.kill('SIGKILL')
        process.kill(process.pid, signal) // as if unhandled: this bench's own end
      })
    }
  }
  running.add(child)
  child.once('exit', () => running.delete(child))
}

/**
 * rocket's test_rpc_server on a free loopback port, with a config written to a
 * temp dir (rocket reads port, io threads and its log settings from XML).
 * The log level is ERROR, so the server's own logging stays out of the figures.
 * It never closes a connection (CLOSE_WAIT piles up, one fd each), so a bench
 * starts one per run.
 */
export async function startRocketServer(peer: RocketPeer, ioThreads = 4): Promise<RocketServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-rocket-'))
  mkdirSync(join(dir, 'log'))
  const port = await freePort()
  const xml = join(dir, 'rocket.xml')
  writeFileSync(
    xml,
    `<?xml version="1.0" encoding="UTF-8" ?>
<root>
  <log>
    <log_level>ERROR</log_level>
    <log_file_name>test_rpc_server</log_file_name>
    <log_file_path>${join(dir, 'log')}/</log_file_path>
    <log_max_file_size>1000000000</log_max_file_size>
    <log_sync_interval>500</log_sync_interval>
  </log>
  <server>
    <port>${port}</port>
    <io_threads>${ioThreads}</io_threads>
  </server>
</root>
`,
  )
  const child: ChildProcess = spawn(peer.server, [xml], {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']})
  stopAtExit(child)
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await gone
    }
    rmSync(dir, {recursive: true, force: true})
  }
  const deadline = Date.now() + 5000
  while (!listening(port)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`rocket's test_rpc_server did not listen on 127.0.0.1:${port}: ${out.slice(0, 2000)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return {pid: child.pid!, host: '127.0.0.1', port, addr: `127.0.0.1:${port}`, stop}
}

/**
 * bench/rocket/bare_loop.c compiled with the system's C compiler into a temp
 * directory (it needs nothing but libc): `bare_loop HOST PORT CALLS close|hold [TIMEOUT_MS]`,
 * one JSON line like rocket_loop's; or why not, where no cc works.
 */
export function buildBareLoop(): {readonly path: string} | {readonly why: string} {
  const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-bare-loop-'))
  const path = join(dir, 'bare_loop')
  const r = spawnSync('cc', ['-O2', '-o', path, join(import.meta.dirname, 'bare_loop.c')], {encoding: 'utf8'})
  if (r.status !== 0) return {why: `cc could not build bench/rocket/bare_loop.c: ${r.error?.message ?? r.stderr.trim().slice(0, 500)}`}
  process.once('exit', () => rmSync(dir, {recursive: true, force: true}))
  return {path}
}
