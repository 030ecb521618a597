// --netns NAME|PID|PATH: which network namespace to look into, as `ss -N`,
// `ip netns exec` and `nsenter --net` name one. A container's namespace is
// its process's (/proc/PID/ns/net, PID from `docker inspect -f '{{.State.Pid}}'`);
// `ip netns add NAME` bind-mounts one at /run/netns/NAME.
//
// Node cannot enter a namespace itself (no setns), and need not: the capture
// runs in a child process started inside it (see commandPrefix), and the
// kernel's socket tables of a namespace are readable from outside through any
// process inside it (/proc/PID/net/tcp is PID's namespace's table).

import {statSync} from 'node:fs'

import {err, ok, type Result, UsageError} from '../errors.js'

export interface Netns {
  /** What the user gave: a name, a pid or a path. */
  readonly spec: string
  /** The namespace file: /run/netns/NAME, /proc/PID/ns/net, or the path given. */
  readonly path: string
  /** The namespace's inode number, as `readlink /proc/PID/ns/net` and lsns show it. */
  readonly inode: number
  /** A process known to be inside: the PID given. */
  readonly pid?: number
}

/** Where `ip netns add` puts named namespaces (/var/run is a link to /run on current systems). */
export const NETNS_RUN_DIRS: readonly string[] = ['/run/netns', '/var/run/netns']

export interface ResolveNetnsOptions {
  /** Default NETNS_RUN_DIRS. */
  readonly runDirs?: readonly string[]
  /** Default /proc. */
  readonly procRoot?: string
}

const HOW = "give a name from `ip netns list`, a pid (docker inspect -f '{{.State.Pid}}' CONTAINER) or a path such as /proc/PID/ns/net"

function statOf(path: string): {ino: number; dev: number} | NodeJS.ErrnoException {
  try {
    const s = statSync(path)
    return {ino: s.ino, dev: s.dev}
  } catch (e) {
    return e as NodeJS.ErrnoException
  }
}

/**
 * Resolve --netns to a namespace file. A namespace file lives on nsfs, the
 * file system of /proc/self/ns/net: a path elsewhere is refused, so a typo
 * never makes nsenter fail later with a less clear message.
 */
export function resolveNetns(spec: string, opts: ResolveNetnsOptions = {}): Result<Netns, UsageError> {
  const proc = opts.procRoot ?? '/proc'
  const text = spec.trim()
  const bad = (why: string) => err(new UsageError('BAD_NETNS', `--netns "${spec}": ${why}`))
  if (text === '') return bad(`empty; ${HOW}`)
  let path: string
  let pid: number | undefined
  if (/^\d+$/.test(text)) {
    pid = Number(text)
    if (!(pid >= 1 && pid <= 4_194_304)) return bad(`${text} is not a process id; ${HOW}`)
    path = `${proc}/${pid}/ns/net`
  } else if (text.includes('/')) {
    path = text
  } else {
    const dirs = opts.runDirs ?? NETNS_RUN_DIRS
    const found = dirs.map((d) => `${d}/${text}`).find((p) => !(statOf(p) instanceof Error))
    if (found === undefined) return bad(`no network namespace named "${text}" in ${dirs.join(' or ')}; ${HOW}`)
    path = found
  }
  const s = statOf(path)
  if (s instanceof Error) {
    if (s.code === 'EACCES' || s.code === 'EPERM') return bad(`${path} is not readable: another user's namespace needs root`)
    return bad(pid !== undefined ? `no process ${pid} (or it has exited)` : `${path} does not exist; ${HOW}`)
  }
  const self = statOf(`${proc}/self/ns/net`)
  if (!(self instanceof Error) && self.dev !== s.dev) return bad(`${path} is not a namespace file; ${HOW}`)
  return ok({spec: text, path, inode: s.ino, pid})
}

/**
 * The command that runs a program inside the namespace: argv = [...prefix, program, ...args].
 * nsenter execs the program after setns (it forks only to enter a pid
 * namespace), so the child's pid, signals and exit code are the program's own.
 */
export function netnsCommandPrefix(ns: Netns): readonly string[] {
  return ['nsenter', `--net=${ns.path}`, '--']
}

/** The namespace's inode as `readlink /proc/PID/ns/net` prints it: "net:[4026532289]". */
export function netnsLabel(ns: Netns): string {
  return `net:[${ns.inode}]`
}
