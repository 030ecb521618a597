import {describe, expect, it} from 'vitest'

import {jsonForScript, pageAssets, type ReportData, reportHtml, SniffReportBuilder} from '../../src/report/index.js'
import {SniffSession} from '../../src/sniff/index.js'

const hostile = '</script><script>alert(1)</script><!--\u2028'

/** The report of a capture with no packets, from a source with a hostile name. */
function emptyReport(): ReportData {
  const b = new SniffReportBuilder({source: hostile, timestampSource: 'test', baseSec: () => undefined})
  return b.build(new SniffSession(() => {}).finish(), {generatedAt: new Date(0)})
}

describe('reportHtml', () => {
  it('embeds data that names </script> and <!-- without ending the script or opening a comment', () => {
    const text = jsonForScript({method: hostile})
    expect(text).not.toContain('<')
    expect(JSON.parse(text)).toEqual({method: hostile})
  })

  it('is one file: data, script and styles inline, a policy that fetches nothing, the title escaped', async () => {
    const data = emptyReport()
    expect(data.facts.find((f) => f.label === 'Time span')?.value).toBe('no packets')
    const html = reportHtml(data, await pageAssets())
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`)
    expect(/<script[^>]+src=|<link[\s>]|@import|url\(/i.exec(html)?.[0]).toBeUndefined()
    // The title and heading escape the hostile source name; exactly one data block and one script end.
    expect(html).toContain('&#60;/script&#62;&#60;script&#62;alert(1)')
    expect(html.match(/<\/script>/g)?.length).toBe(2)
    // uPlot is in, with its licence notice.
    expect(/\/\*! uPlot [\d.]+, \(c\) Leon Sorokin, MIT licence/.test(html)).toBe(true)
  })
})
