// The report page: reads the JSON the report embeds (#report-data) and builds
// the header, the charts (uPlot), the tables and the ladder. Everything it
// lists comes from the data; nothing is fetched (the page's CSP forbids it).

import 'uplot/dist/uPlot.min.css'
import './style.css'

import type uPlot from 'uplot'

import type {ReportData} from '../data.js'
import {forget, histogramChart, latencyChart, rateChart} from './charts.js'
import {fmtCount, h, labelledSelect} from './dom.js'
import {ladderView} from './ladder.js'
import {markerSvg} from './palette.js'
import {callTable, errorCodeTable, quantileTable} from './tables.js'

function main(): void {
  const root = document.getElementById('report')!
  const source = document.getElementById('report-data')
  if (source === null) throw new Error('report-data is missing')
  const data = JSON.parse(source.textContent ?? '{}') as ReportData
  root.replaceChildren()
  const clock = clockOf(data)

  const sections: Array<{id: string; title: string; body: HTMLElement; after?: () => void}> = []
  const add = (id: string, title: string, body: HTMLElement, after?: () => void) => sections.push({id, title, body, after})

  // Header
  add(
    'summary',
    'Summary',
    h(
      'div',
      {},
      h('dl', {class: 'facts'}, ...data.facts.flatMap((f) => [h('dt', {}, f.label), h('dd', {}, f.value)])),
      h('h3', {}, 'Outcomes'),
      data.statuses.length === 0
        ? h('p', {}, 'No calls.')
        : h('ul', {class: 'statuses'}, ...data.statuses.map((s) => h('li', {'data-status': s.key}, markerSvg(s.key, s.answered), ` ${s.label}: `, h('strong', {}, fmtCount(s.count))))),
      h('h3', {}, 'Anomalies'),
      h(
        'table',
        {class: 'anomalies'},
        h('thead', {}, h('tr', {}, h('th', {scope: 'col', class: 'num'}, 'Count'), h('th', {scope: 'col'}, 'Class'))),
        h(
          'tbody',
          {},
          ...data.anomalies.map((a) =>
            h('tr', {class: a.count > 0 ? 'nonzero' : 'zero', 'data-key': a.key}, h('td', {class: 'num'}, a.count > 0 ? `⚠ ${fmtCount(a.count)}` : '0'), h('td', {}, a.label)),
          ),
        ),
      ),
    ),
  )

  // Latency over time
  const latencyBox = h('div', {class: 'chart', tabindex: 0, role: 'img'})
  let latency: uPlot | undefined
  const drawLatency = (method: string | undefined) => {
    if (latency !== undefined) forget(latency)
    latencyBox.replaceChildren()
    latencyBox.setAttribute('aria-label', latencyLabel(data, method))
    latency = latencyChart(latencyBox, data, method)
  }
  const methodNames = data.points.groupNames
  const methodPick = labelledSelect('Method ', [{value: '', text: 'all methods'}, ...methodNames.map((m) => ({value: m, text: m}))], (v) => drawLatency(v === '' ? undefined : v))
  add(
    'latency',
    'Latency over time',
    h(
      'div',
      {},
      h('div', {class: 'controls'}, methodPick.el),
      h('figure', {}, latencyBox, h('figcaption', {}, `Each point is one call, shaped by its outcome; unanswered calls are drawn at how long they were waited for. Lines: p50 and p99 of every ${data.bands.bucketMs} ms band. Points: ${data.points.sampling}`)),
    ),
    () => drawLatency(undefined),
  )

  // Rates
  const rateBox = h('div', {class: 'chart', tabindex: 0, role: 'img', 'aria-label': rateLabel(data)})
  add(
    'rates',
    data.kind === 'load' ? 'Throughput and errors over time' : 'Calls and errors per second',
    h('figure', {}, rateBox, h('figcaption', {}, `Calls counted in ${data.rates.bucketMs} ms buckets by when their request went out${data.rates.finished !== undefined ? '; throughput by when they finished' : ''}, shown per second.`)),
    () => rateChart(rateBox, data),
  )

  // Histogram and quantiles
  const groups = [...data.methods.map((g) => ({key: `m:${g.name}`, text: `method ${g.name}`, g})), ...data.servers.map((g) => ({key: `s:${g.name}`, text: `server ${g.name}`, g}))]
  const histBox = h('div', {class: 'chart', tabindex: 0, role: 'img'})
  let hist: uPlot | undefined
  const drawHist = (key: string) => {
    const pick = groups.find((x) => x.key === key) ?? groups[0]
    if (hist !== undefined) forget(hist)
    histBox.replaceChildren()
    if (pick === undefined || pick.g.histogram.counts.length === 0) {
      histBox.setAttribute('aria-label', 'no answered calls')
      histBox.append(h('p', {}, 'No answered calls to draw.'))
      return
    }
    histBox.setAttribute('aria-label', `Latency histogram of ${pick.text}: ${fmtCount(pick.g.calls)} calls, p50 ${pick.g.latency?.p50 ?? '–'} ms, p99 ${pick.g.latency?.p99 ?? '–'} ms, max ${pick.g.latency?.max ?? '–'} ms`)
    hist = histogramChart(histBox, pick.g)
  }
  const groupPick = labelledSelect('Calls of ', groups.map((x) => ({value: x.key, text: x.text})), drawHist)
  add(
    'histogram',
    'Latency histogram and quantiles',
    h(
      'div',
      {},
      h('div', {class: 'controls'}, groupPick.el),
      h('figure', {}, histBox, h('figcaption', {}, 'Answered calls by latency, 10 bins per factor of ten. Quantiles are within 1% of the exact values; min, max and mean are exact.')),
      quantileTable('Latency per method (ms)', data.methods, data.statuses),
      quantileTable('Latency per server (ms)', data.servers, data.statuses),
    ),
    () => drawHist(groups[0]?.key ?? ''),
  )

  // Ladder
  const ladderSectionId = 'ladder'
  const ladder = data.ladders !== undefined ? ladderView(data.ladders, data.statuses, clock) : undefined
  if (ladder !== undefined) add(ladderSectionId, 'Ladder diagram of a connection', ladder.el)

  // Calls in doubt
  const calls = callTable(
    data.calls,
    data.statuses,
    clock,
    ladder === undefined
      ? undefined
      : {
          has: (c) => ladder.has(c),
          open: (c) => {
            if (!ladder.show(c)) return
            const heading = document.getElementById(`${ladderSectionId}-h`)
            heading?.scrollIntoView()
            heading?.focus()
          },
        },
  )
  add('calls', data.kind === 'load' ? 'Calls without an answer' : 'Unanswered and uncertain calls', calls.el)

  if (data.load !== undefined) {
    add(
      'run',
      'The run',
      h('div', {}, h('dl', {class: 'facts'}, ...data.load.params.flatMap((f) => [h('dt', {}, f.label), h('dd', {}, f.value)])), errorCodeTable(data.load.errorCodes)),
    )
  }

  const nav = h('nav', {'aria-label': 'Sections'}, h('ul', {}, ...sections.map((s) => h('li', {}, h('a', {href: `#${s.id}`}, s.title)))))
  root.append(
    h('header', {}, h('h1', {}, data.title), h('p', {class: 'note'}, `Written ${new Date(data.generatedAt).toLocaleString()} by rpcdiag. Self-contained: opens offline.`), nav),
    ...sections.map((s) => h('section', {id: s.id, 'aria-labelledby': `${s.id}-h`}, h('h2', {id: `${s.id}-h`, tabindex: -1}, s.title), s.body)),
  )
  for (const s of sections) s.after?.()
  root.setAttribute('aria-busy', 'false')
  document.body.dataset.ready = 'true'
}

/** Event times as clock time (a capture) or seconds since the start (a load run). */
function clockOf(data: ReportData): (t: number) => string {
  const o = data.time.originEpochMs
  if (o === undefined) return (t) => `+${(t / 1000).toFixed(6)} s`
  return (t) => {
    const ms = o + t
    const d = new Date(Math.floor(ms))
    const p = (n: number) => String(n).padStart(2, '0')
    const us = Math.round((ms - Math.floor(ms / 1000) * 1000) * 1000)
    return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${String(Math.min(us, 999_999)).padStart(6, '0')}`
  }
}

function latencyLabel(data: ReportData, method: string | undefined): string {
  const g = method === undefined ? undefined : data.methods.find((m) => m.name === method)
  const n = method === undefined ? data.points.kept : data.points.group.filter((i) => data.points.groupNames[i] === method).length
  const q = g?.latency ?? null
  return `Latency over time, ${method ?? 'all methods'}: ${fmtCount(n)} calls drawn${q !== null ? `, p50 ${q.p50} ms, p99 ${q.p99} ms, max ${q.max} ms` : ''}`
}

function rateLabel(data: ReportData): string {
  const perSec = 1000 / data.rates.bucketMs
  const peak = Math.max(0, ...data.rates.calls) * perSec
  return `Calls per second over time in ${data.rates.bucketMs} ms buckets; peak ${peak.toFixed(0)} calls/s; ${data.statuses.map((s) => `${s.count} ${s.label}`).join(', ')}`
}

try {
  main()
} catch (e) {
  const root = document.getElementById('report')
  root?.append(h('p', {class: 'error', role: 'alert'}, `This report could not be drawn: ${(e as Error).message}`))
  throw e
}
