// rpcdiag as a child process (test/rpc/helpers/cli.ts runs the TypeScript
// sources through tsx): for exit codes, stdin and signals, which only a real
// process shows.
import {spawn, type ChildProcess} from 'node:child_process'

export interface ProcessOutput {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

const CLI = ['--import', 'tsx', 'test/rpc/helpers/cli.ts']

/** Colour off so output is plain text whatever the environment. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, RPCDIAG_PROTO: undefined, RPCDIAG_IMPORT_PATH: undefined, ...extra}
}

/** Run to completion, with optional stdin; `prefix` runs it under another command (e.g. ip netns exec NAME). */
export function runCli(args: string[], opts: {stdin?: string; env?: NodeJS.ProcessEnv; prefix?: readonly string[]} = {}): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    const [file, ...argv] = [...(opts.prefix ?? []), process.execPath, ...CLI, ...args]
    const child = spawn(file, argv, {env: env(opts.env), stdio: ['pipe', 'pipe', 'pipe']})
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
export function startCli(args: string[]): LongRunning {
  const child = spawn(process.execPath, [...CLI, ...args], {env: env(), stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  const waiters: Array<() => void> = []
  const poke = () => waiters.splice(0).forEach((w) => w())
  child.stdout!.on('data', (d) => ((out += d), poke()))
  child.stderr!.on('data', (d) => ((err += d), poke()))
  const exited = new Promise<ProcessOutput>((resolve) => child.on('close', (code, signal) => (poke(), resolve({code, signal, stdout: out, stderr: err}))))
  let done = false
  void exited.then(() => (done = true))
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
