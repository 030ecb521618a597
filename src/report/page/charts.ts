// The report's charts, drawn by uPlot (canvas): latency over time as points
// with quantile lines, calls and errors per second, and a log-scale latency
// histogram. Each chart sits in a focusable figure whose label says what it
// shows in words; the legend rows toggle their series from the keyboard too.

import uPlot from 'uplot'

import type {LatencyGroup, ReportData} from '../data.js'
import {LINE, markerSvg, type Shape, statusStyle} from './palette.js'

const HEIGHT = 300
/** Log scales cannot show 0: a latency below 1 µs (request and reply in the same microsecond) is drawn at 1 µs. */
const FLOOR_MS = 0.001

const charts: Array<{u: uPlot; box: HTMLElement}> = []
let resizing = false

/** Keep every chart as wide as its box. */
function track(u: uPlot, box: HTMLElement): void {
  charts.push({u, box})
  if (!resizing) {
    resizing = true
    window.addEventListener('resize', () => {
      for (const c of charts) if (c.box.isConnected) c.u.setSize({width: width(c.box), height: HEIGHT})
    })
  }
  focusableLegend(u)
}

export function forget(u: uPlot): void {
  const i = charts.findIndex((c) => c.u === u)
  if (i !== -1) charts.splice(i, 1)
  u.destroy()
}

function width(box: HTMLElement): number {
  return Math.max(320, Math.floor(box.clientWidth || 800))
}

/** Legend rows as buttons: Tab reaches them, Enter or Space shows or hides the series. */
function focusableLegend(u: uPlot): void {
  u.root.querySelectorAll<HTMLElement>('.u-legend .u-series').forEach((row, i) => {
    if (i === 0) return
    const label = row.querySelector<HTMLElement>('th')
    if (label === null) return
    row.tabIndex = 0
    row.setAttribute('role', 'button')
    row.setAttribute('aria-pressed', 'true')
    row.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return
      e.preventDefault()
      label.click()
      row.setAttribute('aria-pressed', String(!row.classList.contains('u-off')))
    })
    label.addEventListener('click', () => queueMicrotask(() => row.setAttribute('aria-pressed', String(!row.classList.contains('u-off')))))
  })
}

/** x values: clock time in seconds when the report has one (a capture), else seconds since the start. */
export function xOf(data: ReportData, t: number): number {
  const o = data.time.originEpochMs
  return o === undefined ? t / 1000 : (o + t) / 1000
}

function xScale(data: ReportData): uPlot.Scale {
  return {time: data.time.originEpochMs !== undefined}
}

function xAxis(data: ReportData): uPlot.Axis {
  return data.time.originEpochMs !== undefined ? {} : {label: 's since the start', values: (_u, vals) => vals.map((v) => `${+v.toFixed(3)}`)}
}

/** Markers at each non-null value, in the shape of a status. */
function markers(shape: Shape, size: number): uPlot.Series.PathBuilder {
  return (u, seriesIdx, idx0, idx1) => {
    const xs = u.data[0]
    const ys = u.data[seriesIdx]
    const r = (size / 2) * uPlot.pxRatio
    const path = new Path2D()
    for (let i = idx0; i <= idx1; i++) {
      const y = ys[i]
      if (y === null || y === undefined) continue
      const cx = u.valToPos(xs[i], 'x', true)
      const cy = u.valToPos(y, 'y', true)
      switch (shape) {
        case 'circle':
          path.moveTo(cx + r, cy)
          path.arc(cx, cy, r, 0, 2 * Math.PI)
          break
        case 'cross':
          path.moveTo(cx - r, cy - r)
          path.lineTo(cx + r, cy + r)
          path.moveTo(cx - r, cy + r)
          path.lineTo(cx + r, cy - r)
          break
        case 'plus':
          path.moveTo(cx - r, cy)
          path.lineTo(cx + r, cy)
          path.moveTo(cx, cy - r)
          path.lineTo(cx, cy + r)
          break
        case 'triangle':
          path.moveTo(cx, cy - r)
          path.lineTo(cx + r, cy + r * 0.8)
          path.lineTo(cx - r, cy + r * 0.8)
          path.closePath()
          break
        case 'diamond':
          path.moveTo(cx, cy - r)
          path.lineTo(cx + r, cy)
          path.lineTo(cx, cy + r)
          path.lineTo(cx - r, cy)
          path.closePath()
          break
        case 'square':
          path.rect(cx - r * 0.8, cy - r * 0.8, r * 1.6, r * 1.6)
          break
      }
    }
    const lineOnly = shape === 'cross' || shape === 'plus'
    return {stroke: path, fill: lineOnly ? null : path}
  }
}

/**
 * Latency over time for one method (or all): each call drawn is a point shaped
 * by its status (unanswered ones at how long they were waited for: at least
 * that), with the p50 and p99 of every time band as lines.
 */
export function latencyChart(box: HTMLElement, data: ReportData, method: string | undefined): uPlot {
  const p = data.points
  const gi = method === undefined ? -1 : p.groupNames.indexOf(method)
  const band = data.bands.groups.find((g) => g.name === (method ?? data.bands.groups[0]?.name)) ?? data.bands.groups[0]
  // Two sorted lists merged on one x axis: the points, and the middle of each band.
  type Row = {x: number; status?: number; ms?: number; p50?: number | null; p99?: number | null}
  const rows: Row[] = []
  for (let i = 0; i < p.t.length; i++) if (gi === -1 || p.group[i] === gi) rows.push({x: xOf(data, p.t[i]), status: p.status[i], ms: Math.max(FLOOR_MS, p.ms[i])})
  if (band !== undefined) {
    for (let i = 0; i < band.p50.length; i++) {
      if (band.p50[i] === null) continue
      rows.push({x: xOf(data, data.bands.startMs + (i + 0.5) * data.bands.bucketMs), p50: Math.max(FLOOR_MS, band.p50[i]!), p99: Math.max(FLOOR_MS, band.p99[i] ?? band.p50[i]!)})
    }
  }
  rows.sort((a, b) => a.x - b.x)
  const present = p.statusKeys.map((_, si) => rows.some((r) => r.status === si))
  const statusInfo = new Map(data.statuses.map((s) => [s.key, s]))
  const series: uPlot.Series[] = [{}]
  const columns: Array<Array<number | null>> = [rows.map((r) => r.x)]
  p.statusKeys.forEach((key, si) => {
    if (!present[si]) return
    const info = statusInfo.get(key)
    const st = statusStyle(key, info?.answered ?? true)
    series.push({
      label: info?.answered === false ? `${info.label} (waited at least)` : (info?.label ?? key),
      stroke: st.color,
      fill: st.hollow ? undefined : st.color,
      width: 1.4,
      paths: markers(st.shape, st.shape === 'circle' ? 5 : 8),
      points: {show: false},
      value: (_u, v) => (v === null ? '–' : `${v} ms`),
    })
    columns.push(rows.map((r) => (r.status === si ? r.ms! : null)))
  })
  series.push(
    {label: 'p50 of each band', stroke: LINE.p50, width: 2, spanGaps: true, points: {show: false}, value: (_u, v) => (v === null ? '–' : `${v} ms`)},
    {label: 'p99 of each band', stroke: LINE.p99, width: 2, dash: [6, 4], spanGaps: true, points: {show: false}, value: (_u, v) => (v === null ? '–' : `${v} ms`)},
  )
  columns.push(
    rows.map((r) => r.p50 ?? null),
    rows.map((r) => r.p99 ?? null),
  )
  const legendShapes = new Map<number, {key: string; answered: boolean}>()
  p.statusKeys.forEach((key, si) => {
    if (present[si]) legendShapes.set(legendShapes.size + 1, {key, answered: statusInfo.get(key)?.answered ?? true})
  })
  const u = new uPlot(
    {
      width: width(box),
      height: HEIGHT,
      scales: {x: xScale(data), y: {distr: 3, log: 10}},
      axes: [xAxis(data), {label: 'latency (ms, log scale)', size: 60}],
      series,
      cursor: {points: {show: false}},
      legend: {live: true},
    },
    columns as uPlot.AlignedData,
    box,
  )
  track(u, box)
  // The legend shows each status's marker shape, not only its colour.
  const legend = u.root.querySelectorAll('.u-legend .u-series')
  for (const [i, s] of legendShapes) legend[i]?.querySelector('.u-marker')?.replaceWith(markerSvg(s.key, s.answered))
  return u
}

/** Calls started per second, and per status other than ok (errors, unanswered...); a load test adds calls finished per second. */
export function rateChart(box: HTMLElement, data: ReportData): uPlot {
  const r = data.rates
  const perSec = 1000 / r.bucketMs
  const xs = r.calls.map((_, i) => xOf(data, r.startMs + i * r.bucketMs))
  const stepped = uPlot.paths.stepped!({align: 1})
  const series: uPlot.Series[] = [{}, {label: 'calls started/s', stroke: LINE.calls, width: 2, paths: stepped, points: {show: false}}]
  const columns: number[][] = [xs, r.calls.map((n) => n * perSec)]
  if (r.finished !== undefined) {
    series.push({label: 'throughput: calls finished/s', stroke: LINE.throughput, width: 2, dash: [4, 3], paths: stepped, points: {show: false}})
    columns.push(r.finished.map((n) => n * perSec))
  }
  for (const [key, counts] of Object.entries(r.byStatus)) {
    if (key === 'ok') continue
    const st = statusStyle(key)
    series.push({label: `${key} calls/s`, stroke: st.color, width: 2, paths: stepped, points: {show: false}})
    columns.push(counts.map((n) => n * perSec))
  }
  const u = new uPlot(
    {
      width: width(box),
      height: HEIGHT,
      scales: {x: xScale(data)},
      axes: [xAxis(data), {label: `per second (${r.bucketMs} ms buckets)`, size: 60}],
      series,
      legend: {live: true},
    },
    columns as uPlot.AlignedData,
    box,
  )
  track(u, box)
  return u
}

/** Answered calls by latency, in bins of equal width on a log scale. */
export function histogramChart(box: HTMLElement, group: LatencyGroup): uPlot {
  const {edges, counts} = group.histogram
  const u = new uPlot(
    {
      width: width(box),
      height: HEIGHT,
      scales: {x: {time: false, distr: 3, log: 10}, y: {range: (_u, _min, max) => [0, Math.max(1, max * 1.05)]}},
      axes: [{label: 'latency (ms, log scale)'}, {label: 'calls', size: 60}],
      series: [
        {label: 'latency ≥ (ms)'},
        {label: 'calls', stroke: LINE.histogram, fill: 'rgba(0, 114, 178, 0.35)', width: 1.5, paths: uPlot.paths.stepped!({align: 1}), points: {show: false}},
      ],
      legend: {live: true},
    },
    [edges as number[], [...counts, 0]],
    box,
  )
  track(u, box)
  return u
}
