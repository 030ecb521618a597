// What examples/ ships for running the agent on every host: the alerting rules
// and scrape config (checked and unit-tested by promtool), the Grafana dashboard
// (valid JSON whose every query Prometheus' own parser accepts, over metrics
// the agent really exports), and the systemd unit (systemd-analyze verify, and
// its command line run).
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {describe, expect, it} from 'vitest'

import {SniffMetrics} from '../../src/metrics/index.js'
import {runCli} from '../rpc/helpers/cli-process.js'

const HAVE_PROMTOOL = spawnSync('promtool', ['--version'], {stdio: 'ignore'}).status === 0
const HAVE_SYSTEMD_ANALYZE = spawnSync('systemd-analyze', ['--version'], {stdio: 'ignore'}).status === 0
const ROOT = process.getuid?.() === 0
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-examples-'))

function promtool(...args: string[]) {
  return spawnSync('promtool', args, {encoding: 'utf8', timeout: 60_000})
}

interface Panel {
  id: number
  title: string
  type: string
  targets: Array<{refId: string; expr: string}>
}
const dashboard = JSON.parse(readFileSync('examples/grafana/rpcdiag-dashboard.json', 'utf8')) as {
  uid: string
  panels: Panel[]
  templating: {list: Array<{name: string; type: string; query: string | {query: string}}>}
}

/** Grafana's variables as Prometheus would see them once Grafana substituted them. */
function substituted(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replace(/\$(instance|server|method)\b/g, '.*')
}

/** label_values(SELECTOR, label) -> SELECTOR: the part Prometheus parses. */
function selectorOf(query: string): string {
  const m = /^label_values\((.*),\s*\w+\)$/.exec(query)
  if (!m) throw new Error(`not a label_values query: ${query}`)
  return m[1]
}

function dashboardExprs(): string[] {
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))
  for (const v of dashboard.templating.list) if (v.type === 'query') exprs.push(selectorOf(typeof v.query === 'string' ? v.query : v.query.query))
  return exprs.map(substituted)
}

/** Metric names an expression reads (tinypb_*, process_*, up). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(tinypb_[a-z_]+|process_[a-z_]+)\b/g)].map((m) => m[1])
}

async function exportedNames(): Promise<Set<string>> {
  const metrics = new SniffMetrics({processMetrics: true, closeWait: {ports: [{from: 1, to: 1}]}})
  const names = new Set<string>()
  for (const line of (await metrics.text()).split('\n')) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (!m) continue
    names.add(m[1])
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1] + s)
  }
  return names
}

describe('examples/grafana/rpcdiag-dashboard.json', () => {
  it('is a dashboard: unique panel ids, every panel with queries', () => {
    expect(dashboard.uid).toBe('rpcdiag-tinypb')
    const ids = dashboard.panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const p of dashboard.panels) expect(p.targets.length, p.title).toBeGreaterThan(0)
    const titles = dashboard.panels.map((p) => p.title).join(' | ')
    for (const want of ['Request rate', 'Error rate by code', 'Unanswered by cause', 'Latency quantiles', 'CLOSE_WAIT']) expect(titles).toContain(want)
  })

  it('reads only metrics the agent exports', async () => {
    const names = await exportedNames()
    const used = new Set(dashboardExprs().flatMap(metricNames))
    expect(used.size).toBeGreaterThan(5)
    for (const n of used) expect(names, n).toContain(n)
  })

  it.skipIf(!HAVE_PROMTOOL)("has queries Prometheus' parser accepts (promtool, as recording rules; needs the prometheus package)", () => {
    const exprs = dashboardExprs()
    const rules = ['groups:', '  - name: dashboard', '    rules:', ...exprs.flatMap((e, i) => [`      - record: dashboard_query_${i}`, `        expr: ${JSON.stringify(e)}`]), ''].join('\n')
    const file = join(dir, 'dashboard-rules.yml')
    writeFileSync(file, rules)
    const r = promtool('check', 'rules', file)
    expect(r.status, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toContain(`SUCCESS: ${exprs.length} rules found`)
    // The check bites: a broken query fails it.
    writeFileSync(file, rules.replace('sum by (cause)', 'sum by (cause'))
    expect(promtool('check', 'rules', file).status).not.toBe(0)
  })
})

describe.skipIf(!HAVE_PROMTOOL)('examples/prometheus (promtool, from the prometheus package)', () => {
  it('rules.yml passes promtool check rules', () => {
    const r = promtool('check', 'rules', 'examples/prometheus/rules.yml')
    expect(r.status, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toContain('SUCCESS: 5 rules found')
  })

  it('each alert fires on the series that should fire it and no other (promtool test rules)', () => {
    const r = promtool('test', 'rules', 'examples/prometheus/rules.test.yml')
    expect(r.status, r.stdout + r.stderr).toBe(0)
  })

  it('prometheus.yml is a valid config that loads the rules', () => {
    const r = promtool('check', 'config', 'examples/prometheus/prometheus.yml')
    expect(r.status, r.stdout + r.stderr).toBe(0)
  })

  it('the rules read only metrics the agent exports', async () => {
    const names = await exportedNames()
    const used = new Set(metricNames(readFileSync('examples/prometheus/rules.yml', 'utf8').replace(/^\s*#.*$/gm, '').replace(/description: .*$/gm, '')))
    expect(used.size).toBeGreaterThan(3)
    for (const n of used) expect(names, n).toContain(n)
  })
})

describe('examples/systemd/rpcdiag-agent.service', () => {
  const unit = readFileSync('examples/systemd/rpcdiag-agent.service', 'utf8')
  const exec = /^ExecStart=\/usr\/bin\/rpcdiag (.*)$/m.exec(unit)

  it('runs node unprivileged and leaves capture privilege to the capture process', () => {
    expect(unit).toMatch(/^User=rpcdiag$/m)
    expect(unit).toMatch(/^AmbientCapabilities=$/m)
    expect(unit).toMatch(/^CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN$/m)
    expect(exec?.[1]).toMatch(/--backend tcpdump .*--metrics \S+ --metrics-only$/)
  })

  it.skipIf(!HAVE_SYSTEMD_ANALYZE)('passes systemd-analyze verify (with ExecStart pointing at this checkout; needs systemd)', () => {
    const file = join(dir, 'rpcdiag-agent.service')
    writeFileSync(file, unit.replace('/usr/bin/rpcdiag', resolve('bin/run.js')))
    const r = spawnSync('systemd-analyze', ['verify', file], {encoding: 'utf8', timeout: 60_000})
    expect(r.status, r.stderr).toBe(0)
  })

  it.skipIf(!ROOT)("its command line runs: flags accepted, capture started, metrics served (needs root to capture)", async () => {
    const args = exec![1].split(/\s+/).map((a) => (a === '0.0.0.0:9464' ? '127.0.0.1:0' : a))
    const r = await runCli([...args, '--duration', '1'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^rpcdiag: serving metrics on http:\/\/127\.0\.0\.1:\d+\/metrics; capturing on any via tcpdump/)
  }, 60_000)
})
