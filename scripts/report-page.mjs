// The report page's script and styles (src/report/page/app.ts, uPlot and the
// CSS they import), bundled by esbuild into one IIFE and one stylesheet that
// the HTML report inlines. One set of options for both users:
//   scripts/build.mjs  writes them to dist/commands/report-page.{js,css}
//   src/report/page-assets.ts  builds them in memory when rpcdiag runs from
//                      its TypeScript sources (tsx, vitest), where no dist/ is read
//
// uPlot's MIT notice stays in the bundle (a banner: its own comment is not a legal one).

import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '')
const UPLOT = JSON.parse(readFileSync(`${ROOT}/node_modules/uplot/package.json`, 'utf8'))

/** esbuild options; `write` and `outfile` are the caller's. */
export function reportPageOptions() {
  return {
    absWorkingDir: ROOT,
    entryPoints: ['src/report/page/app.ts'],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    // What every browser released since 2020 runs.
    target: 'es2020',
    minify: true,
    legalComments: 'inline',
    // uPlot's own notice is a plain /** */ comment, which minifying drops: say it here.
    banner: {js: `/*! uPlot ${UPLOT.version}, (c) Leon Sorokin, ${UPLOT.license} licence, https://github.com/leeoniya/uPlot */`},
    loader: {'.css': 'css'},
    logLevel: 'warning',
  }
}

/** Build in memory: {script, css} as text. */
export async function buildReportPage(esbuild) {
  const r = await esbuild.build({...reportPageOptions(), write: false, outfile: `${ROOT}/report-page.js`})
  const text = (ext) => r.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? ''
  return {script: text('.js'), css: text('.css')}
}
