// The kernel's socket tables of a namespace, read from outside it:
// /proc/PID/net/{tcp,tcp6,udp,udp6,unix} show PID's namespace. With --netns PID
// that process is the window; a named namespace may have no process in it, so
// one is started there: `nsenter --net=PATH -- cat`, which waits on a pipe from
// rpcdiag and so exits with it, however rpcdiag ends.

import {type ChildProcess, spawn} from 'node:child_process'
import {statSync} from 'node:fs'

import {err, ok, type Result, RpcDiagError} from '../errors.js'
import {type Netns, netnsCommandPrefix, resolveNetns} from './netns.js'

export interface NetnsProc {
  /** /proc/PID/net of a process inside the namespace: where its socket tables are. */
  readonly netDir: string
  /** The pid whose /proc/PID/net that is. */
  readonly pid: number
  /** Stop the process started for it, if one was. Safe to call twice. */
  close(): void
}

export interface NetnsProcOptions {
  readonly procRoot?: string
  /** How long the started process may take to be inside (default 3000 ms). */
  readonly timeoutMs?: number
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino
  } catch {
    return undefined
  }
}

/** A process inside the namespace, to read its tables through. */
export async function netnsProc(ns: Netns, opts: NetnsProcOptions = {}): Promise<Result<NetnsProc, RpcDiagError>> {
  const proc = opts.procRoot ?? '/proc'
  if (ns.pid !== undefined) {
    if (inodeOf(`${proc}/${ns.pid}/ns/net`) !== ns.inode) return err(new RpcDiagError('NETNS_FAILED', `process ${ns.pid} has left network namespace ${ns.spec} (or exited)`))
    return ok({netDir: `${proc}/${ns.pid}/net`, pid: ns.pid, close() {}})
  }
  const [bin, ...args] = netnsCommandPrefix(ns)
  let child: ChildProcess
  try {
    child = spawn(bin, [...args, 'cat'], {stdio: ['pipe', 'ignore', 'pipe']})
  } catch (e) {
    return err(new RpcDiagError('NETNS_FAILED', `cannot start ${bin}: ${(e as Error).message}`, {cause: e}))
  }
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d
  })
  let failure: string | undefined
  child.once('error', (e: NodeJS.ErrnoException) => {
    failure = e.code === 'ENOENT' ? `${bin} is not installed (util-linux)` : e.message
  })
  child.once('exit', (code, signal) => {
    failure ??= stderr.trim() || `${bin} exited (${signal ?? code})`
  })
  const close = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    child.stdin?.destroy()
  }
  // nsenter enters, then execs cat: inside once its ns/net is the namespace's.
  const deadline = Date.now() + (opts.timeoutMs ?? 3000)
  for (let i = 0; ; i++) {
    if (failure !== undefined) {
      close()
      const why = /Operation not permitted|Permission denied/i.test(failure) ? `${failure}: entering a namespace needs root (CAP_SYS_ADMIN)` : failure
      return err(new RpcDiagError('NETNS_FAILED', `cannot enter network namespace ${ns.spec}: ${why}`))
    }
    if (child.pid !== undefined && inodeOf(`${proc}/${child.pid}/ns/net`) === ns.inode) break
    if (Date.now() > deadline || i > 1000) {
      close()
      return err(new RpcDiagError('NETNS_FAILED', `cannot enter network namespace ${ns.spec}: ${bin} was not inside it after ${opts.timeoutMs ?? 3000} ms`))
    }
    await new Promise((r) => setTimeout(r, 5))
  }
  // Neither the process nor its pipe keeps rpcdiag running.
  child.unref()
  ;(child.stdin as {unref?: () => void} | null)?.unref?.()
  ;(child.stderr as {unref?: () => void} | null)?.unref?.()
  return ok({netDir: `${proc}/${child.pid}/net`, pid: child.pid!, close})
}

/** What a command needs of --netns: the prefix for its capture child, and the namespace's tables when it reads them. */
export interface NetnsAccess {
  readonly netns: Netns
  readonly commandPrefix: readonly string[]
  /** /proc/PID/net of a process inside, when `tables` was asked for. */
  readonly netDir: string | undefined
  close(): void
}

/** --netns SPEC as sniff and sockets take it: resolve it, and find a window on its tables if asked. */
export async function openNetns(spec: string, opts: {tables: boolean} & NetnsProcOptions): Promise<Result<NetnsAccess, RpcDiagError>> {
  const ns = resolveNetns(spec, opts)
  if (!ns.ok) return ns
  const commandPrefix = netnsCommandPrefix(ns.value)
  if (!opts.tables) return ok({netns: ns.value, commandPrefix, netDir: undefined, close() {}})
  const p = await netnsProc(ns.value, opts)
  if (!p.ok) return p
  return ok({netns: ns.value, commandPrefix, netDir: p.value.netDir, close: p.value.close})
}
