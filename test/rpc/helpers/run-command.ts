// Run an oclif command in this process, the way oclif's runCommand does, and
// capture what it prints. The command class is imported by the test itself (so
// vitest compiles it); the Config comes from package.json without command
// discovery, since oclif's own import() cannot load TypeScript here.
import {readFileSync} from 'node:fs'
import {format} from 'node:util'

import {Config, type Command} from '@oclif/core'

export interface CommandOutput<T> {
  readonly result?: T
  readonly error?: Error & {oclif?: {exit?: number}; code?: string}
  /** What the process would exit with: 0, or the error's oclif exit code. */
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

let config: Config | undefined

async function loadConfig(): Promise<Config> {
  if (config !== undefined) return config
  const pjson = JSON.parse(readFileSync('package.json', 'utf8'))
  pjson.oclif = {...pjson.oclif, commands: undefined, plugins: []}
  config = await Config.load({root: process.cwd(), pjson})
  return config
}

/** T is what the command's run() returns. */
export async function runCommand<T = unknown>(cmd: typeof Command, argv: string[]): Promise<CommandOutput<T>> {
  const cfg = await loadConfig()
  let stdout = ''
  let stderr = ''
  // oclif's this.log and this.logToStderr end in console.log and console.error;
  // sniff writes to process.stdout itself, to mind its backpressure.
  const {log, error} = console
  const write = process.stdout.write
  console.log = (...a: unknown[]) => void (stdout += format(...a) + '\n')
  console.error = (...a: unknown[]) => void (stderr += format(...a) + '\n')
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    return true
  }) as typeof process.stdout.write
  try {
    const result = (await (cmd as unknown as {run(argv: string[], config: Config): Promise<unknown>}).run(argv, cfg)) as T
    return {result, exitCode: 0, stdout, stderr}
  } catch (e) {
    const error = e as CommandOutput<T>['error'] & Error
    return {error, exitCode: error.oclif?.exit ?? 1, stdout, stderr}
  } finally {
    console.log = log
    console.error = error
    process.stdout.write = write
  }
}
