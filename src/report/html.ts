// One self-contained HTML file: the report's data as JSON, the page's script
// (uPlot included) and its styles, all inline. A Content-Security-Policy of
// default-src 'none' lets the page load nothing from anywhere: it opens
// offline, and a test that sees no CSP violation knows nothing was fetched.

import type {ReportData} from './data.js'
import type {PageAssets} from './page-assets.js'

/** JSON that may sit inside <script>: no "<" (so no </script> or <!--), no line separators JS once rejected. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A script or style body must not close its element early. */
function inlineSafe(text: string, tag: 'script' | 'style'): string {
  return text.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1')
}

export function reportHtml(data: ReportData, assets: PageAssets): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="rpcdiag">
<title>${escapeHtml(data.title)}</title>
<style>${inlineSafe(assets.css, 'style')}</style>
</head>
<body>
<main id="report" aria-busy="true"><h1>${escapeHtml(data.title)}</h1><noscript><p>This report draws its charts and tables with JavaScript: allow scripts for this file.</p></noscript></main>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${inlineSafe(assets.script, 'script')}</script>
</body>
</html>
`
}
