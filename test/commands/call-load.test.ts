// call's load mode as a user runs it: the built CLI against `rpcdiag serve`
// (its own process, port 0 on 127.0.0.1). Counts and shapes only: no timing
// assertions (a busy machine makes every run slower, never wrong).
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildCli, type LongRunning, runCli, startCli} from '../rpc/helpers/cli-process.js'

const PROTO = ['--proto', 'examples/order.proto']
const BODY = ['-d', '{"price":100,"goods":"apple"}']
const PERCENTAGES = [10, 25, 50, 75, 90, 95, 99, 99.9, 99.99]

let server: LongRunning
let addr: string

beforeAll(async () => {
  buildCli()
  server = startCli(['serve', ...PROTO, '--port', '0', '--json'], {built: true})
  addr = JSON.parse((await server.waitFor(/^\{"type":"listening".*$/m))[0]).address
}, 60_000)

afterAll(async () => {
  if (server.child.exitCode === null) server.child.kill('SIGKILL')
  await server.exited
})

const load = (args: string[], opts: {env?: NodeJS.ProcessEnv} = {}) => runCli(['call', 'Order.makeOrder', ...PROTO, '--addr', addr, ...BODY, ...args], {built: true, ...opts})

/** The requests the server has logged so far (its --json lines). */
const served = () => server.stdout().split('\n').filter((l) => l.startsWith('{"type":"request"')).length

interface Summary {
  calls: number
  ok: number
  warmupCalls: number
  asked: {repeat?: number; durationMs?: number; rps?: number}
  latencyDistribution: Array<{percentage: number; latencyMs: number}>
  histogramScale: string
  histogram: Array<{leMs: number; count: number}>
  details: Array<Record<string, unknown>>
}

async function json(args: string[]): Promise<Summary> {
  const p = await load([...args, '--format', 'json'])
  expect(p.stderr).toBe('')
  expect(p.code).toBe(0)
  return JSON.parse(p.stdout) as Summary
}

describe('rpcdiag call load mode (built CLI against rpcdiag serve)', () => {
  it('--duration runs for a time, then ends and reports what it did', async () => {
    const r = await json(['--duration', '1s', '-c', '2'])
    expect(r.asked).toEqual({durationMs: 1000})
    expect(r.calls).toBeGreaterThan(0)
    expect(r.ok).toBe(r.calls)
    expect(r.details).toHaveLength(r.calls)
  })

  it('--duration with --repeat stops at whichever comes first', async () => {
    const r = await json(['--duration', '1m', '-n', '7'])
    expect([r.calls, r.asked]).toEqual([7, {repeat: 7, durationMs: 60_000}])
  })

  it('--rps bounds the calls: one schedule across all connections, not one per connection', async () => {
    // 8 connections at 50 calls/s each would make ~400 in a second; unpaced, thousands.
    const r = await json(['--rps', '50', '--duration', '1s', '-c', '8'])
    expect(r.asked).toEqual({durationMs: 1000, rps: 50})
    expect(r.calls).toBeGreaterThan(0)
    expect(r.calls).toBeLessThanOrEqual(50 + 1 + 5)
  })

  it('--warmup N makes N calls first and leaves them out of every figure and record', async () => {
    const before = served()
    const r = await json(['-n', '20', '--warmup', '7', '-c', '2'])
    expect([r.calls, r.warmupCalls, r.details.length]).toEqual([20, 7, 20])
    await server.waitFor(/"type":"request"/)
    // The server saw all 27; bounded wait: its log lines come on its own schedule.
    for (let i = 0; i < 50 && served() - before < 27; i++) await new Promise((res) => setTimeout(res, 100))
    expect(served() - before).toBe(27)
    const pretty = await load(['-n', '5', '--warmup', '3'])
    expect(pretty.stdout).toMatch(/Warm-up: +3 calls \(the first 3 calls\), left out of every figure below/)
  })

  it('--warmup 300ms leaves out the calls of the first 300 ms', async () => {
    const r = await json(['-n', '10', '--warmup', '300ms'])
    expect(r.calls).toBe(10)
    expect(r.warmupCalls).toBeGreaterThan(0)
  })

  it('lists the latency distribution p10 ... p99.99 in order, and a log-scale histogram', async () => {
    const p = await load(['-n', '300', '-c', '4'])
    expect(p.code).toBe(0)
    const lines = p.stdout.split('\n')
    const at = lines.indexOf('Latency distribution:')
    expect(at).toBeGreaterThan(0)
    const dist = lines.slice(at + 1, at + 1 + PERCENTAGES.length).map((l) => /^ +([\d.]+) % in ([\d.]+) ms$/.exec(l))
    expect(dist.map((m) => Number(m?.[1]))).toEqual(PERCENTAGES)
    const ms = dist.map((m) => Number(m![2]))
    expect(ms).toEqual([...ms].sort((a, b) => a - b))
    const h = lines.indexOf('Histogram (log scale):')
    const bars = lines.slice(h + 1).filter((l) => /^\s+[\d.]+ ms \[\d+\]/.test(l))
    expect(bars.reduce((n, l) => n + Number(/\[(\d+)\]/.exec(l)![1]), 0)).toBe(300)

    const r = await json(['-n', '300', '-c', '4'])
    expect(r.latencyDistribution.map((d) => d.percentage)).toEqual(PERCENTAGES)
    expect(r.histogramScale).toBe('log')
    const edges = r.histogram.map((b) => b.leMs)
    // Log scale: each edge the same factor above the last (even buckets would add the same amount).
    if (edges.length > 2) {
      const ratios = edges.slice(2, -1).map((e, i) => e / edges[i + 1])
      for (const q of ratios) expect(q).toBeCloseTo(ratios[0], 1)
    }
    expect(r.histogram.reduce((n, b) => n + b.count, 0)).toBe(300)
  })

  it('--format csv writes one record per call on stdout and the summary on stderr', async () => {
    const p = await load(['-n', '25', '-c', '3', '--format', 'csv'])
    expect(p.code).toBe(0)
    const [header, ...rows] = p.stdout.trim().split('\n')
    expect(header).toBe('ts,latencyMs,errCode,errName,status,msgId,connection')
    expect(rows).toHaveLength(25)
    for (const row of rows) {
      const [ts, latency, errCode, errName, status, msgId, connection] = row.split(',')
      // sniff --json's timestamp: epoch seconds with six decimals, near now.
      expect(ts).toMatch(/^\d{10}\.\d{6}$/)
      expect(Number(ts)).toBeCloseTo(Date.now() / 1000, -3)
      expect(Number(latency)).toBeGreaterThan(0)
      expect([errCode, errName, status]).toEqual(['0', 'OK', 'ok'])
      expect(msgId).toMatch(/^\d+$/)
      expect(Number(connection)).toBeGreaterThanOrEqual(1)
      expect(Number(connection)).toBeLessThanOrEqual(3)
    }
    expect(p.stderr).toMatch(/Calls: +25 /)
  })

  it('--format json holds one record per call beside the summary', async () => {
    const r = await json(['-n', '12', '-c', '2'])
    expect(r.details).toHaveLength(r.calls)
    expect(r.details[0]).toEqual({
      ts: expect.any(Number),
      latencyMs: expect.any(Number),
      errCode: 0,
      errName: 'OK',
      status: 'ok',
      msgId: expect.stringMatching(/^\d+$/),
      connection: expect.any(Number),
    })
    expect(new Set(r.details.map((d) => d.msgId)).size).toBe(12)
  })

  it('records transport errors with their code and no err_code', async () => {
    const silent = startCli(['serve', ...PROTO, '--port', '0', '--json', '--no-reply'], {built: true})
    try {
      const at = JSON.parse((await silent.waitFor(/^\{"type":"listening".*$/m))[0]).address
      const p = await runCli(['call', 'Order.makeOrder', ...PROTO, '--addr', at, '-n', '2', '-t', '200ms', '--format', 'csv'], {built: true})
      expect(p.code).toBe(1)
      const rows = p.stdout.trim().split('\n').slice(1)
      expect(rows.map((r) => r.split(',').slice(2, 5))).toEqual([
        ['', 'CALL_TIMEOUT', 'transport-error'],
        ['', 'CALL_TIMEOUT', 'transport-error'],
      ])
    } finally {
      silent.child.kill('SIGKILL')
      await silent.exited
    }
  })

  it('draws a progress bar on stderr on a terminal, and none on a pipe', async () => {
    const args = ['call', 'Order.makeOrder', ...PROTO, '--addr', addr, ...BODY, '-n', '200', '--format', 'csv']
    const onPipe = await load(['-n', '200', '--format', 'csv'])
    expect(onPipe.code).toBe(0)
    expect(onPipe.stderr).not.toContain('calls/s')
    // util-linux script: the CLI runs on a pseudo-terminal; stdout to a file so only stderr reaches the terminal.
    const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-bar-'))
    const quoted = [process.execPath, join(process.cwd(), 'bin', 'run.js'), ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
    const tty = await new Promise<string>((resolve, reject) =>
      execFile('script', ['-qec', `${quoted} > ${dir}/out.csv`, '/dev/null'], {env: {...process.env, NO_COLOR: '1'}, timeout: 60_000}, (e, stdout) =>
        e ? reject(e) : resolve(stdout),
      ),
    )
    expect(tty).toMatch(/200\/200 calls +[\d.]+s +[\d,]+ calls\/s +0 errors/)
    expect(tty).toContain('█')
    expect(readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n')).toHaveLength(201)
  })

  it('Ctrl-C ends a --duration run early with its report (and --progress draws on a pipe when asked)', async () => {
    const run = startCli(['call', 'Order.makeOrder', ...PROTO, '--addr', addr, ...BODY, '--duration', '10m', '-c', '2', '--progress'], {built: true})
    try {
      // cli-progress draws at once, then a line every 2 s off a terminal.
      await run.waitFor(/calls\/s/, 'stderr')
      run.child.kill('SIGINT')
      const end = await run.exited
      expect(end.code).toBe(0)
      expect(end.stdout).toContain('Stopped:       early, by SIGINT; the calls in flight were let finish')
      expect(Number(/Calls: +(\d+)/.exec(end.stdout)?.[1])).toBeGreaterThan(0)
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL')
    }
  })

  it('writes the HTML report of a --duration run', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rpcdiag-load-')), 'load.html')
    const p = await load(['--duration', '500ms', '--warmup', '5', '--rps', '200', '--report', file])
    expect(p.code).toBe(0)
    const html = readFileSync(file, 'utf8')
    expect(html).toContain('Time asked (--duration)')
    expect(html).toContain('Warm-up (--warmup)')
    expect(html).toContain('Rate limit (--rps)')
  })

  it.each([
    [['--warmup', 'soon'], 'invalid --warmup "soon"', 'BAD_WARMUP'],
    [['--duration', 'forever'], 'invalid --duration "forever"', 'BAD_DURATION'],
    [['--rps', '0'], '--rps', undefined],
  ])('refuses %j in one line with exit 2', async (args, text, code) => {
    const p = await load(['-n', '1', ...args])
    expect(p.code).toBe(2)
    expect(p.stderr).toContain(text)
    if (code !== undefined) expect(p.stderr).toContain(`[${code}]`)
    expect(p.stderr).not.toMatch(/\n\s+at /)
  })

  it('refuses load-test flags on a one-shot call', async () => {
    for (const flag of [['--rps', '5'], ['--warmup', '3'], ['--format', 'csv']]) {
      const p = await load(flag)
      expect(p.code).toBe(2)
      expect(p.stderr).toContain('are for a load test: add --repeat N or --duration')
    }
  })
})
