/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: DOM types. src/ is type-checked without them by tsconfig.build.json.)
// Debian's Chromium, driven by playwright-core (which never downloads a
// browser): headless, a fresh profile per run, and the flags that keep it off
// the network (this machine has none; without them Chromium tries Google's
// hosts at every start). Each page records what a person would see go wrong:
// console errors and warnings, uncaught exceptions, and any request that is
// not the file itself.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {type BrowserContext, chromium, type Page} from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface Browser {
  open(file: string): Promise<{page: Page; problems: string[]}>
  close(): Promise<void>
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'rpcdiag-chromium-'))
  const ctx: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: {width: 1200, height: 900},
    // Clock text in the page follows the browser's zone: fix it, so screenshots are the same everywhere.
    timezoneId: 'UTC',
    locale: 'en-US',
  })
  return {
    async open(file) {
      const page = await ctx.newPage()
      const problems: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`)
      })
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
      page.on('request', (r) => {
        if (r.url() !== `file://${file}`) problems.push(`request: ${r.url()}`)
      })
      await page.goto(`file://${file}`)
      await page.waitForSelector('body[data-ready="true"]', {timeout: 20_000})
      return {page, problems}
    },
    async close() {
      await ctx.close()
      rmSync(profile, {recursive: true, force: true})
    },
  }
}

/**
 * Pixels of a canvas that carry colour (not white, grey or black: the
 * background, grid and axes), i.e. what the data series drew.
 */
export function colouredPixels(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(selector, (canvases) =>
    (canvases as HTMLCanvasElement[]).map((c) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] === 0) continue
        const max = Math.max(d[i], d[i + 1], d[i + 2])
        const min = Math.min(d[i], d[i + 1], d[i + 2])
        if (max - min > 40) n++
      }
      return n
    }),
  )
}
