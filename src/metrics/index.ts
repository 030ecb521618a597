/**
 * Prometheus metrics of what sniff sees (--metrics [HOST:]PORT): RED per
 * server and method, unanswered calls by cause, capture health, CLOSE_WAIT.
 *
 *     const metrics = new SniffMetrics({processMetrics: true, closeWait: {ports}})
 *     const http = await startMetricsServer({address, text: () => metrics.text(), contentType: metrics.registry.contentType})
 *     runSniff({session: {...SniffMetrics.sessionOptions}, output: (ctx) => teeOutputs(printer, metrics.output(ctx)), ...})
 *
 * event-rules.ts: which event moves which counter (a table: new events are rows);
 * capture-health.ts: what is read from the capture on a scrape; close-wait.ts:
 * the socket table count; labels.ts: the caps that keep label sets bounded.
 */
export * from './labels.js'
export * from './event-rules.js'
export * from './capture-health.js'
export * from './close-wait.js'
export * from './sniff-metrics.js'
export * from './metrics-server.js'
