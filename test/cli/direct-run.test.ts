// `rpcdiag call` run directly (bin/run.js, src/cli/direct-run.ts: oclif's
// parser without oclif's Config) against the same call through oclif
// (RPCDIAG_DIRECT=0): the same stdout, stderr and exit code for each
// invocation, and proof that the direct way is the one taken when nothing
// could make oclif do more (RPCDIAG_DIRECT=show says so on stderr, with what
// became of the bundle's V8 code cache).
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, cpSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {callArgs, callFlags} from '../../src/call-command/index.js'
import {parseResponses, type ServerHandle, startServer} from '../../src/rpc/index.js'
import {loadSchema} from '../../src/rpc/proto/index.js'
import {env as builtEnv, type Run, run} from '../helpers/built-cli.js'
import {buildCli} from '../rpc/helpers/cli-process.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')
const BIN = join(ROOT, 'bin', 'run.js')
const PROTO = join(ROOT, 'examples', 'order.proto')
const MSG_ID = ['--msg-id', '12345678901234567890']

type Output = Run

/** The built bin (or a copy or link of it) as a child process; env adds to the helper's clean environment. */
const runBin = (bin: string, args: string[], env: NodeJS.ProcessEnv = {}, stdin: string | Buffer = '', viaShebang = false): Promise<Output> => run(args, {bin, env, stdin, viaShebang})

let server: ServerHandle
let addr: string
let closedAddr: string

beforeAll(async () => {
  buildCli()
  const schema = loadSchema({protoFiles: [PROTO], importPaths: []})
  if (!schema.ok) throw schema.error
  const script = parseResponses(JSON.stringify({'Order.makeOrder': [{when: {price: {$gte: 10}}, response: {order_id: '20230514'}}, {response: {ret_code: -1, res_info: 'short balance'}}]}), schema.value)
  if (!script.ok) throw script.error
  const started = await startServer({schema: schema.value, script: script.value})
  if (!started.ok) throw started.error
  server = started.value
  addr = `127.0.0.1:${server.address.port}`
  // A port nothing listens on: one just given to a listener that is closed again.
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
  closedAddr = `127.0.0.1:${(probe.address() as {port: number}).port}`
  await new Promise<void>((r) => probe.close(() => r()))
}, 180_000)

afterAll(async () => {
  await server?.close(50)
})

/** Timings and the client's own port differ from run to run; nothing else may. */
function steady(text: string): string {
  return text
    .replace(/\d+(?:\.\d+)? ms\b/g, 'N ms')
    .replace(/"(totalMs|connectMs|firstByteMs)": [\d.]+/g, '"$1": N')
    .replace(/127\.0\.0\.1:(\d+)/g, (m, port) => (m === addr || m === closedAddr ? m : '127.0.0.1:LOCAL'))
}

// [what, argv after `call`, stdin, exit code expected]
const CASES: ReadonlyArray<readonly [string, () => string[], string, number]> = [
  ['a good call', () => ['Order.makeOrder', '--proto', PROTO, '--json', '{"price":100,"goods":"apple"}', '--addr', addr, ...MSG_ID], '', 0],
  ['--format json, -v', () => ['Order.makeOrder', '--proto', PROTO, '-d', '{"price":100}', '--addr', addr, '--format', 'json', '-v', ...MSG_ID], '', 0],
  ['the body from stdin (-d @)', () => ['Order.makeOrder', '--proto', PROTO, '-d', '@', '--addr', addr, ...MSG_ID], '{"price":3}', 0],
  ['a flag oclif does not know', () => ['Order.makeOrder', '--proto', PROTO, '--addr', addr, '--timeot', '5'], '', 2],
  ['a bad option value', () => ['Order.makeOrder', '--proto', PROTO, '--addr', addr, '--format', 'xml'], '', 2],
  ['a bad custom flag value (duration)', () => ['Order.makeOrder', '--proto', PROTO, '--addr', addr, '--timeout', 'soon'], '', 2],
  ['exclusive flags', () => ['Order.makeOrder', '--data-hex', '08', '--data-base64', 'CA==', '--addr', addr], '', 2],
  ['no METHOD', () => ['--proto', PROTO, '--addr', addr], '', 2],
  ['a missing .proto', () => ['Order.makeOrder', '--proto', 'nope.proto', '--addr', addr], '', 2],
  ['a body that is not JSON', () => ['Order.makeOrder', '--proto', PROTO, '--json', '{"price":', '--addr', addr], '', 2],
  ['an unknown method (.proto given)', () => ['Order.nope', '--proto', PROTO, '--addr', addr], '', 2],
  ['an unknown method (the server answers err_code)', () => ['Order.nope', '--data-hex', '', '--addr', addr, ...MSG_ID], '', 3],
  ['load-test flags without --repeat', () => ['Order.makeOrder', '--proto', PROTO, '--addr', addr, '--rps', '5'], '', 2],
  ['connection refused', () => ['Order.makeOrder', '--proto', PROTO, '--addr', closedAddr, ...MSG_ID], '', 1],
  ['--help', () => ['--help'], '', 0],
]

describe('rpcdiag call, direct and through oclif', () => {
  for (const [what, args, stdin, code] of CASES) {
    it(`${what}: the same stdout, stderr and exit code (${code})`, async () => {
      const argv = ['call', ...args()]
      const direct = await runBin(BIN, argv, {}, stdin)
      const oclif = await runBin(BIN, argv, {RPCDIAG_DIRECT: '0'}, stdin)
      expect(direct.code).toBe(code)
      expect({...direct, stdout: steady(direct.stdout), stderr: steady(direct.stderr)}).toEqual({...oclif, stdout: steady(oclif.stdout), stderr: steady(oclif.stderr)})
      if (code !== 0) expect(direct.stderr).toMatch(/^rpcdiag: .* \[[A-Z_]+\]\n/m)
    }, 60_000)
  }
})

describe('which way bin/run.js takes', () => {
  const call = () => ['call', 'Order.makeOrder', '--proto', PROTO, '--addr', addr, ...MSG_ID]
  const show = {RPCDIAG_DIRECT: 'show'}

  it('a plain call runs directly, compiled from the code cache the build wrote', async () => {
    const r = await runBin(BIN, call(), show)
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('rpcdiag: direct run of call (code cache used)\n')
    expect(r.stdout).toContain('err_code 0 OK')
  })

  it('V8 flags in NODE_OPTIONS: V8 rejects the cache and the bundle is compiled from source, with the same output', async () => {
    const r = await runBin(BIN, call(), {...show, NODE_OPTIONS: '--max-old-space-size=200'})
    expect(r.stderr).toBe('rpcdiag: direct run of call (code cache rejected)\n')
    expect(steady(r.stdout)).toBe(steady((await runBin(BIN, call())).stdout))
  })

  it('a load test is left to oclif after the parse, and runs there', async () => {
    const r = await runBin(BIN, ['call', 'Order.makeOrder', '--proto', PROTO, '--addr', addr, '--repeat', '2'], show)
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('rpcdiag: direct run of call (code cache used)\nrpcdiag: call left to oclif\n')
    expect(r.stdout).toMatch(/Calls:\s+2\b/)
  })

  it('oclif runs it when it could do more: --help, DEBUG, RPCDIAG_DEBUG, a user plugin list, RPCDIAG_DIRECT=0', async () => {
    const data = mkdtempSync(join(tmpdir(), 'rpcdiag-data-'))
    try {
      writeFileSync(join(data, 'package.json'), JSON.stringify({private: true, oclif: {plugins: []}}))
      for (const [args, env] of [
        [[...call(), '--help'], show],
        [call(), {...show, DEBUG: 'rpcdiag-test-nothing'}],
        [call(), {...show, RPCDIAG_DEBUG: '0'}],
        [call(), {...show, RPCDIAG_DATA_DIR: data}],
        [call(), {RPCDIAG_DIRECT: '0'}],
      ] as const) {
        const r = await runBin(BIN, [...args], env)
        expect(r.stderr).not.toContain('direct run')
        expect(r.code).toBe(0)
      }
    } finally {
      rmSync(data, {recursive: true, force: true})
    }
  })

  it('from a link to bin/rpcdiag (npm link, npm install -g) and from a copy of the package elsewhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-install-'))
    try {
      // npm link and npm install -g put a symbolic link to package.json's bin, the launcher bin/rpcdiag, on the PATH; it starts node on bin/run.js.
      mkdirSync(join(dir, 'bin'))
      symlinkSync(join(ROOT, 'bin', 'rpcdiag'), join(dir, 'bin', 'rpcdiag'))
      const linked = await runBin(join(dir, 'bin', 'rpcdiag'), call(), show, '', true)
      expect(linked.stderr).toBe('rpcdiag: direct run of call (code cache used)\n')
      expect(linked.stdout).toContain('err_code 0 OK')
      // npm install -g copies the package (bin, dist, package.json) under the prefix, its dependencies beside it.
      const pkg = join(dir, 'lib', 'node_modules', 'rpcdiag')
      mkdirSync(pkg, {recursive: true})
      for (const part of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) cpSync(join(ROOT, part), join(pkg, part), {recursive: true})
      symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'))
      const copied = await runBin(join(pkg, 'bin', 'rpcdiag'), call(), show, '', true)
      expect(copied.stderr).toBe('rpcdiag: direct run of call (code cache used)\n')
      expect(steady(copied.stdout)).toBe(steady(linked.stdout))
      // A cache from another build (its stamp, the head's first 16 characters, differs) is not used; the bundle is compiled from source.
      const cache = join(pkg, 'dist', 'direct', 'call.cjs.v8cache')
      writeFileSync(cache, Buffer.concat([Buffer.from('0000000000000000'), readFileSync(cache).subarray(16)]))
      const stale = await runBin(join(pkg, 'bin', 'run.js'), call(), show)
      expect(stale.stderr).toBe('rpcdiag: direct run of call (code cache none)\n')
      expect(steady(stale.stdout)).toBe(steady(linked.stdout))
      rmSync(cache)
      expect((await runBin(join(pkg, 'bin', 'run.js'), call(), show)).stderr).toBe('rpcdiag: direct run of call (code cache none)\n')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('what a direct run leaves out of oclif is nothing for call', () => {
  const oclif = () => createRequire(import.meta.url)(`${ROOT}/dist/oclif.cjs`) as typeof import('@oclif/core')
  // The events oclif's run() fires for a command that exists (main.ts, config.runCommand, command.parse).
  const FIRED_BY_A_RUN = ['init', 'prerun', 'preparse', 'postrun', 'finally']

  it('no plugin package.json lists declares a hook a command run fires; rpcdiag only its postrun completion hook', async () => {
    oclif().settings.enableAutoTranspile = false
    const config = await oclif().Config.load(ROOT)
    const fired = [...config.plugins.values()].flatMap((p) => Object.keys(p.hooks ?? {}).filter((e) => FIRED_BY_A_RUN.includes(e)).map((e) => `${p.name} ${e}`))
    expect(fired).toEqual(['rpcdiag postrun'])
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).oclif.hooks.postrun).toBe('./dist/hooks/completion.cjs')
  })

  it('the postrun completion hook does nothing after call', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'rpcdiag-cache-'))
    try {
      const script = join(cache, 'autocomplete', 'zsh_setup')
      mkdirSync(join(cache, 'autocomplete'), {recursive: true})
      writeFileSync(script, '# the plugin\n')
      const hook = createRequire(import.meta.url)(`${ROOT}/dist/hooks/completion.cjs`).default
      await hook.call({}, {Command: {id: 'call'}, config: {cacheDir: cache, bin: 'rpcdiag'}, argv: []})
      expect(readFileSync(script, 'utf8')).toBe('# the plugin\n')
      // It would act after autocomplete: the check can fail.
      await hook.call({}, {Command: {id: 'autocomplete'}, config: {cacheDir: cache, bin: 'rpcdiag'}, argv: []})
      expect(readFileSync(script, 'utf8')).not.toBe('# the plugin\n')
    } finally {
      rmSync(cache, {recursive: true, force: true})
    }
  })

  it('call has no deprecation for oclif to warn about (a direct run prints no such warning)', async () => {
    const Call = (await import('../../commands/call.js')).default
    expect([Call.state, Call.deprecationOptions, Call.deprecateAliases, Call.aliases.length, Call.enableJsonFlag, Call.baseFlags]).toEqual([undefined, undefined, undefined, 0, false, undefined])
    expect(Call.flags).toBe(callFlags)
    expect(Call.args).toBe(callArgs)
    for (const [name, flag] of Object.entries(callFlags)) expect([name, flag.deprecated, flag.deprecateAliases]).toEqual([name, undefined, undefined])
  })
})

// `rpcdiag sockets` run directly (dist/direct/sockets.cjs) against the same
// invocation through oclif: a listener this test holds (the serve above), so
// the rows do not change between the two runs; only the snapshot's time does.
describe('rpcdiag sockets, direct and through oclif', () => {
  const port = () => addr.split(':')[1]
  const stable = (text: string) => text.replace(/"collectedAt":"[^"]+"/g, '"collectedAt":"T"')
  // oclif warns that a command whose parse failed did not parse, when NODE_ENV is test (as here) or
  // development and --json kept the error from ending the run: nothing a user sees, and not a direct run's.
  const unwarned = (text: string) => text.replace(/^\(node:\d+\) \[UnparsedCommand\] Warning: .*\n\(Use `node --trace-warnings .*\n/m, '')
  // [what, argv after `sockets`, exit code expected]
  const SOCKET_CASES: ReadonlyArray<readonly [string, () => string[], number]> = [
    ['the listener of a port', () => ['--port', port(), '-l'], 0],
    ['--json of it', () => ['--port', port(), '-l', '--json'], 0],
    ["ss's flag bundle and filter words", () => ['-tlnp', 'sport', '=', `:${port()}`], 0],
    ['--json with -e and the filter as one word', () => ['-tle', '--json', `sport = :${port()}`], 0],
    ['a bad port', () => ['--port', 'abc'], 2],
    ['a bad port with --json', () => ['--json', '--port', 'abc'], 2],
    ['a bad filter with --json', () => ['--json', 'sport = :x'], 2],
    ['an unknown flag with --json', () => ['--json', '--bogus'], 2],
    ['--json after -- is a filter word, not the flag', () => ['--port', port(), '--', '--json'], 2],
    ['a bad ss flag bundle', () => ['-tq'], 2],
    ['--count without --watch', () => ['-n', '2'], 2],
  ]
  for (const [what, args, code] of SOCKET_CASES) {
    it(`${what}: the same stdout, stderr and exit code (${code})`, async () => {
      const argv = ['sockets', ...args()]
      const direct = await runBin(BIN, argv, {RPCDIAG_DIRECT: 'show'})
      const oclif = await runBin(BIN, argv, {RPCDIAG_DIRECT: '0'})
      expect(direct.code).toBe(code)
      expect(direct.stderr).toMatch(/^rpcdiag: direct run of sockets \(code cache used\)\n/)
      const rest = direct.stderr.replace(/^rpcdiag: direct run of sockets \(code cache used\)\n/, '')
      expect({...direct, stderr: rest, stdout: stable(direct.stdout)}).toEqual({...oclif, stderr: unwarned(oclif.stderr), stdout: stable(oclif.stdout)})
      if (args().includes('--json') && args().indexOf('--json') < (args().indexOf('--') + 1 || Infinity)) expect(() => JSON.parse(direct.stdout)).not.toThrow()
    }, 60_000)
  }

  it('--watch and --netns are left to oclif after the parse; RPCDIAG_CONTENT_TYPE is left to it at once', async () => {
    const watch = await runBin(BIN, ['sockets', '--port', port(), '-l', '--watch', '1', '-n', '1'], {RPCDIAG_DIRECT: 'show'})
    expect(watch.code).toBe(0)
    expect(watch.stderr).toBe('rpcdiag: direct run of sockets (code cache used)\nrpcdiag: sockets left to oclif\n')
    expect(watch.stdout).toContain(`:${port()}`)
    const netns = await runBin(BIN, ['sockets', '--netns', 'rpcdiag-no-such-namespace'], {RPCDIAG_DIRECT: 'show'})
    expect(netns.stderr).toMatch(/^rpcdiag: direct run of sockets \(code cache used\)\nrpcdiag: sockets left to oclif\nrpcdiag: /)
    expect(netns.code).not.toBe(0)
    const typed = await runBin(BIN, ['sockets', '--port', port(), '-l'], {RPCDIAG_DIRECT: 'show', RPCDIAG_CONTENT_TYPE: 'json'})
    expect(typed.code).toBe(0)
    expect(typed.stderr).toBe('rpcdiag: direct run of sockets (code cache used)\nrpcdiag: sockets left to oclif\n')
    expect(JSON.parse(typed.stdout).sockets[0].localPort).toBe(Number(port()))
  })

  it('leaves standard input unread, both ways: the filter is words on the command line (ss reads no stdin)', () => {
    // oclif reads an argument left out from a piped stdin (waiting up to 10 ms for it), and the
    // words of the filter never looked at what it read: a script's next command lost that input.
    for (const direct of ['show', '0']) {
      const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" sockets --port ${port()} -l --json && cat`], {input: 'for the next command\n', env: {...builtEnv(), RPCDIAG_DIRECT: direct}, encoding: 'utf8', timeout: 60_000})
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout.endsWith('}\nfor the next command\n'), `RPCDIAG_DIRECT=${direct}: ${r.stdout.slice(-80)}`).toBe(true)
    }
  }, 120_000)

  it('sockets declares what the direct run parses: its flags, its argument, not strict, --json', async () => {
    const Sockets = (await import('../../commands/sockets.js')).default
    const {socketsArgs, socketsFlags} = await import('../../src/sockets-command/index.js')
    expect([Sockets.state, Sockets.deprecationOptions, Sockets.deprecateAliases, Sockets.aliases.length, Sockets.enableJsonFlag, Sockets.strict, Sockets.baseFlags]).toEqual([undefined, undefined, undefined, 0, true, false, undefined])
    expect(Sockets.flags).toBe(socketsFlags)
    expect(Sockets.args).toBe(socketsArgs)
    for (const [name, flag] of Object.entries(socketsFlags)) expect([name, flag.deprecated, flag.deprecateAliases]).toEqual([name, undefined, undefined])
  })
})

// `rpcdiag sniff --read` run directly (dist/direct/sniff.cjs) against the same
// invocation through oclif: a capture file gives the same lines every time.
describe('rpcdiag sniff, direct and through oclif', () => {
  const PCAP = join(ROOT, 'test', 'fixtures', 'pcap')
  const ROCKET = join(PCAP, 'rocket_25calls.pcapng')
  // Three replies cut by the capture: uncertain calls, which --fail-on any counts.
  const TRUNCATED = join(PCAP, 'truncated_replies.pcap')
  const SHOWN = /^rpcdiag: direct run of sniff \(code cache used\)\n/
  // [what, argv after `sniff`, stdin, env, exit code expected]
  const SNIFF_CASES: ReadonlyArray<readonly [string, () => string[], Buffer | string, NodeJS.ProcessEnv, number]> = [
    ['a capture file', () => ['--read', ROCKET], '', {}, 0],
    ['-v and the histogram', () => ['-r', ROCKET, '-v', '--histogram'], '', {}, 0],
    ['--json', () => ['-r', ROCKET, '--json'], '', {}, 0],
    ['-q', () => ['-r', ROCKET, '-q'], '', {}, 0],
    ['-T fields -e ... -E', () => ['-r', ROCKET, '-T', 'fields', '-e', 'time', '-e', 'method', '-e', 'latency', '-E', 'separator=,', '-E', 'header=y'], '', {}, 0],
    ['--format csv (the summary on stderr)', () => ['-r', ROCKET, '--format', 'csv'], '', {}, 0],
    ['-Y', () => ['-r', ROCKET, '-Y', 'latency > 1ms || err_code != 0'], '', {}, 0],
    // The micro sign is escaped in the direct bundle's regular expression (ASCII only): it still matches.
    ['-Y with a duration in \u00b5s', () => ['-r', ROCKET, '-Y', 'latency > 900\u00b5s', '-q'], '', {}, 0],
    ['a capture filter in words, with --port', () => ['-r', ROCKET, '--port', '12346', 'tcp', 'and', 'not', 'port', '22'], '', {}, 0],
    ['COLUMNS=60: lines fitted to the width', () => ['-r', TRUNCATED, '-v'], '', {COLUMNS: '60'}, 0],
    ['--fail-on what the capture shows', () => ['-r', TRUNCATED, '-q', '--fail-on', 'any'], '', {}, 4],
    ['--fail-on what it does not show', () => ['-r', ROCKET, '-q', '--fail-on', 'unanswered,error'], '', {}, 0],
    ['a bad --fail-on kind', () => ['-r', ROCKET, '--fail-on', 'sometimes'], '', {}, 2],
    ['a flag oclif does not know', () => ['-r', ROCKET, '--bogus'], '', {}, 2],
    ['a bad option value', () => ['-r', ROCKET, '-T', 'xml'], '', {}, 2],
    ['a bad custom flag value (duration)', () => ['-r', ROCKET, '--timeout', 'soon'], '', {}, 2],
    ['a bad -Y expression', () => ['-r', ROCKET, '-Y', 'latency >'], '', {}, 2],
    ['-e with the text format', () => ['-r', ROCKET, '-e', 'method'], '', {}, 2],
    ['a missing file', () => ['-r', join(PCAP, 'no-such.pcap')], '', {}, 2],
    ['a capture-filter word that is a typo', () => ['-r', ROCKET, 'tcp', 'prot', '12346'], '', {}, 2],
    ["ss's filter words", () => ['-r', ROCKET, 'state', 'established'], '', {}, 2],
    ['--read - from stdin', () => ['--read', '-', '-q'], readFileSync(ROCKET), {}, 0],
    ['stdin that is not a capture', () => ['--read', '-'], 'not a pcap', {}, 2],
  ]
  for (const [what, args, stdin, env, code] of SNIFF_CASES) {
    it(`${what}: the same stdout, stderr and exit code (${code})`, async () => {
      const argv = ['sniff', ...args()]
      const direct = await runBin(BIN, argv, {...env, RPCDIAG_DIRECT: 'show'}, stdin)
      const oclif = await runBin(BIN, argv, {...env, RPCDIAG_DIRECT: '0'}, stdin)
      expect(direct.code).toBe(code)
      expect(direct.stderr).toMatch(SHOWN)
      expect({...direct, stderr: direct.stderr.replace(SHOWN, '')}).toEqual(oclif)
      if (code === 0) expect(direct.stdout).not.toBe('')
      else expect(direct.stderr.replace(SHOWN, '')).toMatch(/^rpcdiag: .* \[[A-Z_]+\]\n/)
    }, 60_000)
  }

  it("stdout's reader gone before the first line (| head): no error, the run's own exit code, as through oclif", async () => {
    /** The bin with its stdout a pipe whose reading end is closed at once: every write fails with EPIPE. */
    const unread = (args: string[], env: NodeJS.ProcessEnv) =>
      new Promise<{code: number | null; stderr: string}>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], {env: {...builtEnv(), ...env}, stdio: ['ignore', 'pipe', 'pipe']})
        child.stdout.destroy()
        let stderr = ''
        child.stderr.on('data', (d) => (stderr += d))
        child.on('error', reject)
        child.on('close', (code) => resolve({code, stderr}))
      })
    for (const [args, code] of [
      [['-r', ROCKET, '-v', '-x', '--frames'], 0],
      [['-r', TRUNCATED, '--fail-on', 'any'], 4],
    ] as const) {
      const direct = await unread(['sniff', ...args], {RPCDIAG_DIRECT: 'show'})
      const oclif = await unread(['sniff', ...args], {RPCDIAG_DIRECT: '0'})
      expect(direct.code).toBe(code)
      expect(direct.stderr).toMatch(SHOWN)
      expect({...direct, stderr: direct.stderr.replace(SHOWN, '')}).toEqual(oclif)
      expect(direct.stderr).not.toContain('EPIPE')
    }
  }, 60_000)

  it('--write and --report from a direct run: the same files as through oclif', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-sniff-direct-'))
    try {
      const files = (way: string) => ['-r', ROCKET, '-q', '--write', join(dir, `${way}.pcap`), '--report', join(dir, `${way}.html`)]
      const direct = await runBin(BIN, ['sniff', ...files('direct')], {RPCDIAG_DIRECT: 'show'})
      const oclif = await runBin(BIN, ['sniff', ...files('oclif')], {RPCDIAG_DIRECT: '0'})
      expect([direct.code, oclif.code]).toEqual([0, 0])
      expect(direct.stderr).toMatch(SHOWN)
      expect(direct.stdout).toBe(oclif.stdout)
      expect(readFileSync(join(dir, 'direct.pcap'))).toEqual(readFileSync(join(dir, 'oclif.pcap')))
      // The report names when it was made; the page's script and styles are the same (found from dist/direct/ as from dist/commands/).
      const made = (html: string) => html.replace(/"generatedAt":"[^"]+"/g, '"generatedAt":"T"').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T')
      expect(made(readFileSync(join(dir, 'direct.html'), 'utf8'))).toBe(made(readFileSync(join(dir, 'oclif.html'), 'utf8')))
      expect(readFileSync(join(dir, 'direct.html'), 'utf8')).toContain(readFileSync(join(ROOT, 'dist', 'report-page.css'), 'utf8').slice(0, 200))
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  }, 60_000)

  it('a live capture, --list-interfaces and --metrics are left to oclif after the parse; --help never starts the direct run', async () => {
    const show = {RPCDIAG_DIRECT: 'show'}
    const left = 'rpcdiag: direct run of sniff (code cache used)\nrpcdiag: sniff left to oclif\n'
    const listed = await runBin(BIN, ['sniff', '-D'], show)
    expect(listed.code).toBe(0)
    expect(listed.stderr).toBe(left)
    expect(listed.stdout).toMatch(/\blo\b/)
    // A live capture on lo that ends by itself (a port nothing uses: no packets).
    const live = await runBin(BIN, ['sniff', '-i', 'lo', '--port', '9', '--duration', '300ms', '-q'], show)
    expect(live.stderr.startsWith(left)).toBe(true)
    expect(live.stderr).toContain('capturing on')
    expect(live.code).toBe(0)
    const metrics = await runBin(BIN, ['sniff', '-r', ROCKET, '-q', '--metrics', '127.0.0.1:0'], show)
    expect(metrics.stderr.startsWith(left)).toBe(true)
    expect(metrics.stderr).toContain('serving metrics on')
    expect(metrics.code).toBe(0)
    const help = await runBin(BIN, ['sniff', '-r', ROCKET, '--help'], show)
    expect(help.code).toBe(0)
    expect(help.stderr).not.toContain('direct run')
    expect(help.stdout).toContain('CAPTURE FILTER')
  }, 60_000)

  it('sniff declares what the direct run parses: its flags, no arguments, not strict, no --json of oclif', async () => {
    const Sniff = (await import('../../commands/sniff.js')).default
    const {sniffFlags} = await import('../../src/sniff-command/index.js')
    expect([Sniff.state, Sniff.deprecationOptions, Sniff.deprecateAliases, Sniff.aliases.length, Sniff.enableJsonFlag, Sniff.strict, Sniff.baseFlags]).toEqual([undefined, undefined, undefined, 0, false, false, undefined])
    expect(Sniff.flags).toBe(sniffFlags)
    expect(Sniff.args).toEqual({})
    for (const [name, flag] of Object.entries(sniffFlags)) expect([name, flag.deprecated, flag.deprecateAliases]).toEqual([name, undefined, undefined])
  })
})
