// The built CLI (./bin/run.js, what a user runs) as a child process, colour
// off and no proto defaults from the environment. Tests that use it build
// dist/ first (scripts/build.mjs), so the binary is this tree's.
import {spawn} from 'node:child_process'
import {join} from 'node:path'

export const BIN = join(process.cwd(), 'bin', 'run.js')

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

export function env(): NodeJS.ProcessEnv {
  return {...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, RPCDIAG_PROTO: undefined, RPCDIAG_IMPORT_PATH: undefined}
}

export function run(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: env(), stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}
