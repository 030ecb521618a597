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

/** Colour off; nothing from the environment that changes what rpcdiag does (proto defaults, debug, the direct way). */
export function env(): NodeJS.ProcessEnv {
  return {...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, DEBUG: undefined, RPCDIAG_DEBUG: undefined, RPCDIAG_PROTO: undefined, RPCDIAG_IMPORT_PATH: undefined, RPCDIAG_DIRECT: undefined}
}

export interface RunOptions {
  /** Another bin (a copy or a link of the package); default this tree's. */
  readonly bin?: string
  /** Added to env(). */
  readonly env?: NodeJS.ProcessEnv
  readonly stdin?: string | Buffer
  /** Run the bin itself, through its #! line (as an npm link or install does), not under this node. */
  readonly viaShebang?: boolean
}

export function run(args: string[], opts: RunOptions = {}): Promise<Run> {
  const bin = opts.bin ?? BIN
  const [cmd, argv] = opts.viaShebang ? [bin, args] : [process.execPath, [bin, ...args]]
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {env: {...env(), ...opts.env}, stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']})
    child.stdin?.end(opts.stdin)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}
