import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {parseDuration} from '../../src/cli/duration-flag.js'
import {errorLine, oneLine} from '../../src/cli/error-line.js'
import {habitHint} from '../../src/cli/habits.js'
import {UsageError} from '../../src/errors.js'
import {colorsFor} from '../../src/render/color.js'
import {startServer, type ServerHandle} from '../../src/rpc/index.js'
import {loadSchema} from '../../src/rpc/proto/index.js'
import {type ProcessOutput, runCli} from '../rpc/helpers/cli-process.js'

// The habits of tcpdump, ss, grpcurl and every other CLI, through the real
// CLI (a process from the sources): duration units on every duration flag,
// --color, errors as one line with one hint, call's -d/--data.

// Each run starts node with tsx (seconds on two busy cores): the limit bounds a hang, it measures nothing.
vi.setConfig({testTimeout: 180_000, hookTimeout: 60_000})

const PROTO = ['--proto', 'examples/order.proto']
let server: ServerHandle
let addr: string
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-habits-'))

beforeAll(async () => {
  const schema = loadSchema({protoFiles: ['examples/order.proto'], importPaths: []})
  if (!schema.ok) throw schema.error
  const r = await startServer({schema: schema.value, port: 0, onEvent: undefined})
  if (!r.ok) throw r.error
  server = r.value
  addr = `127.0.0.1:${server.address.port}`
})

afterAll(async () => {
  await server?.close(50)
})

/** Two at a time: the machine has two cores and each run starts node and tsx. */
async function runAll(argvs: ReadonlyArray<{args: string[]; stdin?: string; env?: NodeJS.ProcessEnv}>): Promise<ProcessOutput[]> {
  const out: ProcessOutput[] = []
  for (let i = 0; i < argvs.length; i += 2) out.push(...(await Promise.all(argvs.slice(i, i + 2).map((a) => runCli(a.args, a)))))
  return out
}

/** The error contract: exactly `rpcdiag: <message> [CODE]` and at most one `hint:` line, nothing else. */
function expectOneLineError(r: ProcessOutput, code: string, exit = 2): {message: string; hint?: string} {
  expect(r.code).toBe(exit)
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines.length).toBeLessThanOrEqual(2)
  const m = /^rpcdiag: (.+) \[([A-Z_]+)\]$/.exec(lines[0])
  expect(m, r.stderr).not.toBeNull()
  expect(m![2]).toBe(code)
  if (lines.length === 2) expect(lines[1]).toMatch(/^hint: \S/)
  expect(r.stderr).not.toMatch(/^(USAGE|FLAGS|\s+at )|›/m)
  return {message: m![1], hint: lines[1]?.slice('hint: '.length)}
}

describe('durations with units on every duration flag', () => {
  it('parses units, and a bare number in the unit the flag always had', () => {
    const ms = (t: string, bare: 'ms' | 's' = 'ms') => {
      const r = parseDuration(t, '--x', {bare})
      return r.ok ? r.value : r.error.code
    }
    expect([ms('500ms'), ms('5s'), ms('1m'), ms('1h'), ms('1.5s'), ms('250')]).toEqual([500, 5000, 60_000, 3_600_000, 1500, 250])
    expect([ms('2', 's'), ms('0.5', 's'), ms('500ms', 's'), ms('1m', 's')]).toEqual([2000, 500, 500, 60_000])
    expect([ms(''), ms('fast'), ms('5 apples'), ms('-1s'), ms('1e3ms')]).toEqual(Array(5).fill('BAD_DURATION'))
    const bounded = parseDuration('50ms', '--watch', {bare: 's', minMs: 100, maxMs: 86_400_000})
    expect(!bounded.ok && bounded.error.message).toBe(
      'invalid --watch "50ms": too short; give a duration from 100ms to 24h such as 500ms, 5s, 1m or 1h (a bare number is seconds)',
    )
  })

  it('call --timeout and --connect-timeout, sniff --timeout and --duration, serve --delay, sockets --watch, demo --timeout', async () => {
    const pcap = 'test/fixtures/pcap/rocket_fast_25calls_12346.pcap'
    const [call, callBare, sniffRead, watch, ...bad] = await runAll([
      {args: ['call', 'Order.makeOrder', ...PROTO, '--addr', addr, '--timeout', '2s', '--connect-timeout', '1s', '--format', 'json']},
      {args: ['call', 'Order.makeOrder', ...PROTO, '--addr', addr, '--timeout', '2000', '--format', 'json']},
      {args: ['sniff', '--read', pcap, '--timeout', '100ms', '--json']},
      {args: ['sockets', '--watch', '200ms', '-n', '2', '--port', '1']},
      {args: ['call', 'Order.makeOrder', '--timeout', 'soon']},
      {args: ['sniff', '--read', pcap, '--duration', '1y2']},
      {args: ['serve', '--delay', 'later']},
      {args: ['sockets', '--watch', '50ms']},
      {args: ['demo', '--timeout', '10ms']},
    ])
    expect(JSON.parse(call.stdout)).toMatchObject({status: 'ok'})
    expect(JSON.parse(callBare.stdout)).toMatchObject({status: 'ok'})
    // The capture lasts 0.8 s: at 100 ms the server that never closes after the client's FIN is flagged.
    expect(sniffRead.stdout).toContain('"code":"SERVER_NO_FIN"')
    expect(watch.stdout).toMatch(/^Every 0\.2s: rpcdiag sockets \(port 1\)/)
    expect(watch.stdout.match(/refresh \d/g)).toEqual(['refresh 1', 'refresh 2'])
    const flagsSeen = bad.map((r) => expectOneLineError(r, 'BAD_DURATION').message.split(' ')[1])
    expect(flagsSeen).toEqual(['--timeout', '--duration', '--delay', '--watch', '--timeout'])
    expect(bad[0].stderr).toContain('give a duration from 1ms such as 500ms, 5s, 1m or 1h (a bare number is milliseconds)')
    expect(bad[3].stderr).toContain('(a bare number is seconds)')
  })

  it('--timeout 300ms is 300 ms: the unanswered call says so', async () => {
    const silent = await startServer({port: 0, faults: {noReply: true}})
    if (!silent.ok) throw silent.error
    try {
      const r = await runCli(['call', 'Order.makeOrder', ...PROTO, '--addr', `127.0.0.1:${silent.value.address.port}`, '--timeout', '300ms'])
      const {message} = expectOneLineError(r, 'CALL_TIMEOUT', 1)
      expect(message).toMatch(/^no response to Order\.makeOrder \(msg_id \d{20}\) within 300 ms/)
      expect(r.stdout).toContain('Likely causes:')
    } finally {
      await silent.value.close(50)
    }
  })
})

describe('--color', () => {
  it('colorsFor: the flag wins over NO_COLOR and FORCE_COLOR; auto follows them, then the terminal', () => {
    const level = (tty: boolean, env: NodeJS.ProcessEnv, choice?: 'auto' | 'always' | 'never') => colorsFor({isTTY: tty}, env, choice).level
    expect(level(false, {}, 'always')).toBe(1)
    expect(level(false, {NO_COLOR: '1'}, 'always')).toBe(1)
    expect(level(true, {FORCE_COLOR: '1'}, 'never')).toBe(0)
    expect(level(true, {NO_COLOR: '1'})).toBe(0)
    expect(level(false, {FORCE_COLOR: '1'})).toBe(1)
    expect(level(true, {})).toBe(1)
    expect(level(false, {})).toBe(0)
  })

  it('--color=always, --color=never, --no-color and NO_COLOR through the CLI', async () => {
    const ESC = '\u001B['
    const m = ['methods', ...PROTO]
    const [always, alwaysNoColor, never, noColor, auto, bad] = await runAll([
      {args: [...m, '--color=always']},
      {args: [...m, '--color', 'always'], env: {NO_COLOR: '1'}},
      {args: [...m, '--color=never'], env: {NO_COLOR: '', FORCE_COLOR: '1'}},
      {args: [...m, '--no-color'], env: {NO_COLOR: '', FORCE_COLOR: '1'}},
      {args: m, env: {NO_COLOR: '', FORCE_COLOR: '1'}},
      {args: [...m, '--color=sometimes']},
    ])
    expect(always.stdout).toContain(`${ESC}1mOrder.makeOrder`)
    expect(alwaysNoColor.stdout).toContain(ESC)
    expect(never.stdout).not.toContain(ESC)
    expect(noColor.stdout).not.toContain(ESC)
    expect(auto.stdout).toContain(ESC)
    expect(expectOneLineError(bad, 'BAD_FLAGS').message).toBe('Expected --color=sometimes to be one of: auto, always, never')
  })
})

describe('errors: one line, the code last, at most one hint', () => {
  it('oclif parse errors, never the flag list', async () => {
    const [unknown, typo, missing, noValue, exclusive, extra] = await runAll([
      {args: ['sockets', '--bogus']},
      {args: ['call', 'Order.makeOrder', '--timout', '5s']},
      {args: ['call']},
      {args: ['call', 'Order.makeOrder', '--timeout']},
      {args: ['call', 'Order.makeOrder', '--data', '{}', '--data-hex', '00']},
      {args: ['methods', 'a', 'b']},
    ])
    expect(expectOneLineError(unknown, 'BAD_FLAGS')).toEqual({message: 'unknown flag --bogus', hint: 'see rpcdiag sockets --help'})
    expect(expectOneLineError(typo, 'BAD_FLAGS')).toEqual({message: 'unknown flag --timout', hint: 'did you mean --timeout? (see rpcdiag call --help)'})
    expect(expectOneLineError(missing, 'BAD_ARGS').message).toMatch(/^missing METHOD: Service\.method/)
    expect(expectOneLineError(noValue, 'BAD_FLAGS').message).toBe('Flag --timeout expects a value')
    expect(expectOneLineError(exclusive, 'BAD_FLAGS').message).toMatch(/cannot also be provided when using/)
    expect(expectOneLineError(extra, 'BAD_ARGS')).toEqual({message: 'unexpected argument b', hint: 'see rpcdiag methods --help'})
  })

  it('long messages are not wrapped, whatever the terminal width', async () => {
    const r = await runCli(['call', 'Order.makeOrdr', ...PROTO, '--json', '{}'], {env: {COLUMNS: '40'}})
    const {message} = expectOneLineError(r, 'UNKNOWN_METHOD')
    expect(message.length).toBeGreaterThan(40)
    expect(message).toContain('Did you mean Order.makeOrder?')
  })

  it('ss, tcpdump and grpcurl words where they do not fit get a hint at the right syntax', async () => {
    // (sniff tcp port 12346 is a capture filter now: test/commands/sniff-habits.test.ts.)
    const [state, sniffState, tcp, method, list, bundle, typo] = await runAll([
      {args: ['state', 'close-wait']},
      {args: ['sniff', 'state', 'close-wait']},
      {args: ['tcp', 'port', '12346']},
      {args: ['Order.makeOrder', '-d', '{}']},
      {args: ['list']},
      {args: ['-tanp']},
      {args: ['soket']},
    ])
    expect(expectOneLineError(state, 'UNKNOWN_COMMAND')).toEqual({
      message: "state close-wait is ss's filter syntax, not a rpcdiag command",
      hint: 'try: rpcdiag sockets state close-wait',
    })
    expect(expectOneLineError(sniffState, 'BAD_ARGS').hint).toBe('try: rpcdiag sockets state close-wait')
    expect(expectOneLineError(tcp, 'UNKNOWN_COMMAND').hint).toBe('try: rpcdiag sniff tcp port 12346')
    expect(expectOneLineError(method, 'UNKNOWN_COMMAND').hint).toBe("try: rpcdiag call Order.makeOrder -d '{}'")
    expect(expectOneLineError(list, 'UNKNOWN_COMMAND').hint).toBe('try: rpcdiag methods --proto FILE')
    expect(expectOneLineError(bundle, 'UNKNOWN_COMMAND').hint).toBe('try: rpcdiag sockets -tanp')
    expect(expectOneLineError(typo, 'UNKNOWN_COMMAND')).toEqual({message: 'soket is not a rpcdiag command', hint: 'did you mean rpcdiag sockets? (see rpcdiag --help)'})
  })

  it('the pieces: oclif decorations folded into one line; hints for habits', () => {
    expect(oneLine('Parsing --repeat \n\tExpected an integer but received: x\nSee more help with --help')).toBe('--repeat: Expected an integer but received: x')
    expect(errorLine(new UsageError('BAD_JSON', 'bad\nJSON'), {bin: 'rpcdiag', command: 'call'})).toEqual({
      message: 'bad; JSON',
      code: 'BAD_JSON',
      exit: 2,
      hint: 'see rpcdiag call --help',
    })
    expect(errorLine(new Error('boom'), {bin: 'rpcdiag'})).toMatchObject({code: 'INTERNAL', exit: 1})
    expect(habitHint('rpcdiag', ['netstat', '-tanp'])).toEqual({what: "netstat's job", instead: 'rpcdiag sockets -tanp'})
    expect(habitHint('rpcdiag', ['describe', 'Order.makeOrder'])?.instead).toBe('rpcdiag methods --proto FILE Order.makeOrder')
    expect(habitHint('rpcdiag', ['state', 'close-wait'], 'sockets')).toBeUndefined()
  })
})

describe("call's body: --json, -d and --data, grpcurl's -d @ for stdin, @file", () => {
  it('every spelling sends the same body', async () => {
    const file = join(dir, 'req.json')
    writeFileSync(file, '{"price":100,"goods":"apple"}')
    const base = ['call', 'Order.makeOrder', ...PROTO, '--addr', addr, '--format', 'json']
    const body = '{"price":100,"goods":"apple"}'
    const runs = await runAll([
      {args: [...base, '--json', body]},
      {args: [...base, '-d', body]},
      {args: [...base, '--data', body]},
      {args: [...base, '-d', '@'], stdin: body},
      {args: [...base, '--data', `@${file}`]},
      {args: [...base, '-d', '-'], stdin: body},
    ])
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout).request).toEqual({price: 100, goods: 'apple'})
    }
    const [badStdin, missing] = await runAll([
      {args: [...base, '-d', '@'], stdin: '{"price":'},
      {args: [...base, '--data', '@/nonexistent/req.json']},
    ])
    expect(expectOneLineError(badStdin, 'BAD_JSON').message).toMatch(/^--json - \(stdin\) is not valid JSON/)
    expect(expectOneLineError(missing, 'BAD_JSON').message).toBe('cannot read --json @/nonexistent/req.json: no such file')
  })
})
