/**
 * Self-contained HTML reports: `sniff --report` and `call --repeat --report`.
 *
 *   SniffEvents ─┐                        ┌─ rates, histograms, quantile bands, sampled points (call-stats)
 *                ├─> SniffReportBuilder ──┼─ calls in doubt (call-table), ladders of chosen connections (ladders)
 *   LoadCallSample ─> LoadReportBuilder ──┘
 *        -> ReportData (data.ts, plain JSON) -> reportHtml (+ page/ bundle with uPlot) -> ReportFile
 *
 * page/ is the browser side: its own tsconfig, bundled by scripts/report-page.mjs.
 */
export * from './data.js'
export {CallStats, type CallRecord, type CallStatsOptions, logBins, ALL_METHODS, statusLabel} from './call-stats.js'
export {CallTableBuilder} from './call-table.js'
export {LadderCollector, type LadderLimits} from './ladders.js'
export {SniffReportBuilder, type SniffReportOptions, transactionStatus} from './sniff-report.js'
export {LoadReportBuilder, LoadReportFile, type LoadRunParams} from './load-report.js'
export {reportHtml, jsonForScript} from './html.js'
export {pageAssets, type PageAssets} from './page-assets.js'
export {ReportFile, type WrittenReport, writtenText} from './report-file.js'
export {SniffReport, sniffReportOutput, type SniffReportOutput, sourceText, timestampSourceOf} from './sniff-output.js'
export {TimeBuckets} from './time-buckets.js'
