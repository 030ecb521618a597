/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (page.evaluate callbacks run in the browser: DOM types. src/ is type-checked without them by tsconfig.build.json.)
// The reports in a real browser: the built CLI writes them (sniff of the
// rocket capture and of a generated 3,000-call capture with every kind of
// trouble; a load run against a real server on 127.0.0.1), and headless
// Debian Chromium opens each file: nothing fetched, no console errors, the
// charts drawn, the tables right, everything reachable by keyboard.
// Screenshots go to test-artifacts/report/ (the README's come from there).
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import type {Page} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {run as rpcdiag} from '../helpers/built-cli.js'
import {type Browser, CHROMIUM, colouredPixels, launchChromium} from './helpers/browser.js'
import {type MixedCapture, TIMEOUT_MS, writeMixedCapture} from './helpers/mixed-capture.js'
import {type MixedServer, mixedServer} from './helpers/mixed-server.js'

const FIXTURE = 'test/fixtures/pcap/rocket_fast_25calls_12346.pcap'
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'report')
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-report-browser-'))

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, {recursive: true})
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await page.screenshot({path: join(ARTIFACTS, `${name}.png`), fullPage: true})
  // The README's: the top of the page, small.
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({path: join(ARTIFACTS, `${name}-top.png`), clip: {x: 0, y: 0, width: 1200, height: 1500}, fullPage: true})
}

/** Press Tab until `selector` has the focus (at most `max` times): proves it is reachable by keyboard alone. */
async function tabTo(page: Page, selector: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return
  }
  throw new Error(`${selector} not reached with ${max} Tabs`)
}

/** The focused element shows a focus ring. */
function focusRing(page: Page): Promise<{style: string; width: number}> {
  return page.evaluate(() => {
    const s = getComputedStyle(document.activeElement!)
    return {style: s.outlineStyle, width: Number.parseFloat(s.outlineWidth)}
  })
}

describe.skipIf(!existsSync(CHROMIUM))('reports in headless Chromium (needs Debian chromium: .ci/run installs it)', () => {
  let browser: Browser
  beforeAll(async () => {
    // The reports are written by the built CLI, as a user runs it: make sure it is this tree's.
    execFileSync(process.execPath, ['scripts/build.mjs'], {stdio: 'ignore'})
    browser = await launchChromium()
  }, 180_000)
  afterAll(async () => browser?.close())

  it('sniff of the rocket capture: header, three charts drawn, the slowest connection’s ladder, nothing fetched', async () => {
    const file = join(dir, 'sniff-25.html')
    const run = await rpcdiag(['sniff', '--read', FIXTURE, '--timeout', '100', '--report', file])
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(/report written to .*sniff-25\.html \(\d+ KiB\)/)
    const {page, problems} = await browser.open(file)
    expect(await page.textContent('h1')).toBe(`rpcdiag sniff: file ${FIXTURE} (pcap, link-type EN10MB)`)
    expect(await page.$$eval('dl.facts dt', (els) => els.map((e) => e.textContent))).toEqual(['Capture source', 'Time span', 'Timestamp source', 'Calls', 'Connections', 'Packets'])
    expect(await page.textContent('tr[data-key="serverNoFin"] td')).toBe('⚠ 23')
    // latency, rates, histogram: each canvas has the data's colours on it.
    const drawn = await colouredPixels(page, '.chart canvas')
    expect(drawn).toHaveLength(3)
    for (const n of drawn) expect(n).toBeGreaterThan(100)
    expect(await page.$$eval('table.ladder tbody tr', (rows) => rows.map((r) => r.className))).toEqual(['k-syn', 'k-request', 'k-reply', 'k-fin', 'k-warning'])
    expect(await page.textContent('#calls')).toContain('No call went unanswered or is in doubt.')
    await shot(page, 'sniff-25')
    expect(problems).toEqual([])
    await page.close()
  }, 120_000)

  describe('sniff of a generated capture with unanswered, late, reset and duplicate calls', () => {
    let cap: MixedCapture
    let page: Page
    let problems: string[]
    beforeAll(async () => {
      // Beside the screenshots, named relative to the checkout: the page's title is the same on every machine.
      mkdirSync(ARTIFACTS, {recursive: true})
      cap = writeMixedCapture(relative(process.cwd(), join(ARTIFACTS, 'mixed.pcap')), 3000)
      const file = join(dir, 'sniff-mixed.html')
      const run = await rpcdiag(['sniff', '--read', cap.file, '--timeout', String(TIMEOUT_MS), '--report', file])
      expect(run.code).toBe(0)
      ;({page, problems} = await browser.open(file))
    }, 120_000)

    it('lists exactly the unanswered and late msg_ids, and draws every chart', async () => {
      const ids = await page.$$eval('#calls-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-msgid')))
      expect(ids.sort()).toEqual([...cap.unanswered.closed, ...cap.unanswered.reset, ...cap.unanswered.end, ...cap.late].sort())
      const statuses = await page.$$eval('#calls-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-status')))
      expect(statuses.filter((s) => s === 'late')).toHaveLength(1)
      for (const n of await colouredPixels(page, '.chart canvas')) expect(n).toBeGreaterThan(100)
      expect(await page.textContent('tr[data-key="duplicateResponses"] td')).toBe('⚠ 1')
    })

    it('is searchable from the keyboard alone, with a visible focus ring', async () => {
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
      await tabTo(page, 'input[type="search"]')
      expect(await focusRing(page)).toMatchObject({style: 'solid', width: 3})
      await page.keyboard.type(cap.unanswered.reset[0])
      const shown = await page.$$eval('#calls-table tbody tr:not([hidden])', (rows) => rows.map((r) => r.getAttribute('data-msgid')))
      expect(shown).toEqual([cap.unanswered.reset[0]])
      expect(await page.textContent('#calls .count')).toBe('1 of 5 rows shown')
      // The row's ladder button opens that connection's ladder: the server's RST after the request.
      await tabTo(page, '#calls-table tbody tr:not([hidden]) button')
      await page.keyboard.press('Enter')
      expect(await page.$$eval('table.ladder tbody tr', (rows) => rows.map((r) => r.className))).toEqual(['k-syn', 'k-request', 'k-rst'])
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('ladder-h')
      // Clearing the search shows every row again.
      await tabTo(page, 'input[type="search"]')
      await page.keyboard.press('Control+A')
      await page.keyboard.press('Backspace')
      expect(await page.$$eval('#calls-table tbody tr:not([hidden])', (rows) => rows.length)).toBe(5)
    })

    it('picks another connection’s ladder and hides a chart series from the keyboard', async () => {
      await tabTo(page, '#ladder select')
      const before = await page.textContent('table.ladder caption')
      await page.keyboard.press('ArrowDown')
      const after = await page.textContent('table.ladder caption')
      expect(after).not.toBe(before)
      await tabTo(page, '#latency .u-legend .u-series[tabindex="0"]')
      expect(await focusRing(page)).toMatchObject({style: 'solid', width: 3})
      await page.keyboard.press('Enter')
      expect(await page.$eval('#latency .u-legend .u-series[tabindex="0"]', (r) => [r.classList.contains('u-off'), r.getAttribute('aria-pressed')])).toEqual([true, 'false'])
      await page.keyboard.press('Enter')
      await page.evaluate(() => window.scrollTo(0, 0))
      await shot(page, 'sniff-mixed')
      expect(problems).toEqual([])
    })
  })

  describe('load run against a server that errs and drops calls', () => {
    let srv: MixedServer
    beforeAll(async () => {
      srv = await mixedServer()
    })
    afterAll(() => srv?.close())

    it('charts the run, lists the dropped msg_ids, shows error codes and parameters', async () => {
      const file = join(dir, 'load.html')
      const args = ['call', 'Order.makeOrder', '--proto', 'examples/order.proto', '--json', '{"price":100,"goods":"apple"}', '--addr', `127.0.0.1:${srv.addr.port}`]
      // The server answers within 3 ms or never: 1.5 s tells them apart even on a machine that is busy with other work.
      const run = await rpcdiag([...args, '--repeat', '600', '--concurrency', '4', '--timeout', '1500', '--report', file])
      // Unanswered calls: exit 1, and the report is still written.
      expect(run.code).toBe(1)
      expect(statSync(file).size).toBeGreaterThan(10_000)
      const {page, problems} = await browser.open(file)
      expect(await page.textContent('h1')).toBe(`rpcdiag call --repeat: Order.makeOrder at 127.0.0.1:${srv.addr.port}`)
      const drawn = await colouredPixels(page, '.chart canvas')
      expect(drawn).toHaveLength(3)
      for (const n of drawn) expect(n).toBeGreaterThan(100)
      const ids = await page.$$eval('#calls-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-msgid')))
      expect(ids.sort()).toEqual([...srv.dropped].sort())
      const codes = await page.$$eval('table.codes tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 4).map((td) => td.textContent)))
      expect(codes).toEqual([
        ['server err_code', '10000009', 'ERROR_METHOD_NOT_FOUND', String(srv.errors.length)],
        ['no answer', 'CALL_TIMEOUT', 'CALL_TIMEOUT', String(srv.dropped.length)],
      ])
      const params = await page.$$eval('#run dl.facts dt', (els) => els.map((e) => e.textContent))
      expect(params).toEqual(expect.arrayContaining(['Method', 'Server', 'Mode', 'Calls asked (--repeat)', 'Concurrency (--concurrency)', 'Timeout (--timeout)', 'Throughput']))
      await shot(page, 'load')
      expect(problems).toEqual([])
      await page.close()
    }, 120_000)

    it('refuses a report without --repeat, and a report path that cannot be written, before calling', async () => {
      const args = ['call', 'Order.makeOrder', '--proto', 'examples/order.proto', '--addr', `127.0.0.1:${srv.addr.port}`]
      const noRepeat = await rpcdiag([...args, '--report', join(dir, 'x.html')])
      expect(noRepeat.code).toBe(2)
      // oclif wraps the line: compare the words.
      expect(noRepeat.stderr.replace(/[\s›]+/g, ' ')).toContain('--pipeline and --report need --repeat N')
      const before = srv.dropped.length + srv.errors.length
      const bad = await rpcdiag([...args, '--repeat', '5', '--report', join(dir, 'no-such-dir', 'r.html')])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('cannot write the report')
      expect(bad.stderr).not.toMatch(/\n\s+at /)
      expect(srv.dropped.length + srv.errors.length).toBe(before)
    }, 60_000)
  })
})
