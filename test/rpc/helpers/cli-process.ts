// rpcdiag as a child process (test/rpc/helpers/cli.ts runs the TypeScript
// sources through tsx, or the built ./bin/run.js with `built`): for exit codes,
// stdin, signals and resource limits, which only a real process shows.
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {join} from 'node:path'

export interface ProcessOutput {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

const CLI = ['--import', 'tsx', 'test/rpc/helpers/cli.ts']
const BUILT = join(process.cwd(), 'bin', 'run.js')

/** Build this tree's dist/ (the user-facing ./bin/run.js runs it); call once per test file, in beforeAll. */
export function buildCli(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], {stdio: 'ignore'})
}

export interface StartOptions {
  /** Run the built ./bin/run.js (after buildCli) instead of the sources through tsx. */
  readonly built?: boolean
  /** Start it under `ulimit -n N` (through bash), to run it out of file descriptors. */
  readonly nofile?: number
}

function command(args: string[], opts: StartOptions): [string, string[]] {
  const node = [...(opts.built ? [BUILT] : CLI), ...args]
  if (opts.nofile === undefined) return [process.execPath, node]
  // exec: the pid the test holds is the CLI's own, so its signals reach it.
  return ['bash', ['-c', `ulimit -n ${opts.nofile} && exec "$0" "$@"`, process.execPath, ...node]]
}

/** Colour off so output is plain text whatever the environment. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, RPCDIAG_PROTO: undefined, RPCDIAG_IMPORT_PATH: undefined, ...extra}
}

/** Run to completion, with optional stdin; `prefix` runs it under another command (e.g. ip netns exec NAME). */
export function runCli(args: string[], opts: StartOptions & {stdin?: string; env?: NodeJS.ProcessEnv; prefix?: readonly string[]} = {}): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    const [cmd0, argv0] = command(args, opts)
    const [cmd, ...argv] = [...(opts.prefix ?? []), cmd0, ...argv0]
    const child = spawn(cmd, argv, {env: env(opts.env), stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}))
    child.stdin.end(opts.stdin ?? '')
  })
}

export interface LongRunning {
  readonly child: ChildProcess
  /** Everything printed so far. */
  stdout(): string
  stderr(): string
  /** Resolves when stdout or stderr matches. */
  waitFor(re: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>
  /** Resolves with the exit status. */
  exited: Promise<ProcessOutput>
}

/** Start a long-running command (serve) and watch its output. */
export function startCli(args: string[], opts: StartOptions = {}): LongRunning {
  const [cmd, argv] = command(args, opts)
  return watchProcess(spawn(cmd, argv, {env: env(), stdio: ['ignore', 'pipe', 'pipe']}))
}

/** Watch the output of any child spawned with piped stdout and stderr (tcpdump, a traffic generator). */
export function watchProcess(child: ChildProcess): LongRunning {
  let out = ''
  let err = ''
  const waiters: Array<() => void> = []
  const poke = () => waiters.splice(0).forEach((w) => w())
  child.stdout!.on('data', (d) => ((out += d), poke()))
  child.stderr!.on('data', (d) => ((err += d), poke()))
  let done = false
  // done before the waiters look again: a process that exits early fails waitFor at once.
  const exited = new Promise<ProcessOutput>((resolve) => child.on('close', (code, signal) => ((done = true), poke(), resolve({code, signal, stdout: out, stderr: err}))))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, stream = 'stdout') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = (stream === 'stdout' ? out : err).match(re)
          if (m) return resolve(m)
          if (done) return reject(new Error(`process exited before ${re} appeared on ${stream}:\n${out}\n${err}`))
          waiters.push(check)
        }
        check()
      })
    },
  }
}
