// The page's script and stylesheet, to inline in a report. The built CLI reads
// them one folder up from its command file (scripts/build.mjs writes
// dist/report-page.{js,css}); run from the TypeScript sources (tsx,
// vitest) they are bundled now with esbuild, a dev dependency, with the same
// options (scripts/report-page.mjs).

import {readFileSync} from 'node:fs'
import {extname} from 'node:path'
import {fileURLToPath} from 'node:url'

export interface PageAssets {
  readonly script: string
  readonly css: string
}

let cached: Promise<PageAssets> | undefined

export function pageAssets(): Promise<PageAssets> {
  cached ??= load()
  return cached
}

async function load(): Promise<PageAssets> {
  if (extname(fileURLToPath(import.meta.url)) !== '.ts') {
    return {
      script: readFileSync(new URL('../report-page.js', import.meta.url), 'utf8'),
      css: readFileSync(new URL('../report-page.css', import.meta.url), 'utf8'),
    }
  }
  const [esbuild, page] = await Promise.all([import('esbuild'), import(new URL('../../scripts/report-page.mjs', import.meta.url).href) as Promise<ReportPageBuild>])
  return page.buildReportPage(esbuild)
}

interface ReportPageBuild {
  buildReportPage(esbuild: unknown): Promise<PageAssets>
}
