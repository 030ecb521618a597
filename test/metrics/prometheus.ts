// A real Prometheus server for tests: Debian's `prometheus` binary on a free
// loopback port, with a temporary config and storage dir, scraping the given
// targets every second; PromQL through its HTTP API.

import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export const HAVE_PROMETHEUS = spawnSync('prometheus', ['--version'], {stdio: 'ignore'}).status === 0

export interface PromSample {
  readonly metric: Record<string, string>
  readonly value: number
}

export interface Prometheus {
  readonly url: string
  query(promql: string): Promise<PromSample[]>
  /** Poll a query until check passes (at most timeoutMs); returns the last answer either way. */
  until(promql: string, check: (r: PromSample[]) => boolean, timeoutMs?: number): Promise<PromSample[]>
  stop(): Promise<void>
  log(): string
}

export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as {port: number}).port
  await new Promise((r) => s.close(r))
  return port
}

export async function startPrometheus(targets: readonly string[]): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-prometheus-'))
  const config = join(dir, 'prometheus.yml')
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: rpcdiag',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  )
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let log = ''
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    {stdio: ['ignore', 'ignore', 'pipe']},
  )
  child.stderr!.on('data', (d) => (log = (log + d).slice(-20_000)))
  const exited = new Promise<void>((r) => child.once('close', () => r()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(t)
    rmSync(dir, {recursive: true, force: true})
  }
  // Ready when /-/ready answers 200: bounded by count and time.
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.status === 200,
      () => false,
    )
    if (ok) break
    if (i >= 150 || child.exitCode !== null) {
      await stop()
      throw new Error(`prometheus did not become ready on ${url}:\n${log}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  const query = async (promql: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)
    const body = (await res.json()) as {status: string; error?: string; data: {resultType: string; result: Array<{metric: Record<string, string>; value: [number, string]}>}}
    if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`)
    return body.data.result.map((r) => ({metric: r.metric, value: Number(r.value[1])}))
  }
  return {
    url,
    query,
    async until(promql, check, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs
      for (let i = 0; ; i++) {
        const r = await query(promql)
        if (check(r) || Date.now() > end || i > 1000) return r
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    },
    stop,
    log: () => log,
  }
}
