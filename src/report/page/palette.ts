// Colours from the Okabe–Ito palette (Okabe & Ito 2008), which people with
// any of the common colour-vision deficiencies can tell apart; every status
// also has its own marker shape, so colour is never the only cue.

export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
} as const

export type Shape = 'circle' | 'cross' | 'triangle' | 'diamond' | 'square' | 'plus'

export interface StatusStyle {
  readonly color: string
  readonly shape: Shape
  /** Drawn hollow: a call whose true latency is unknown (at least this long). */
  readonly hollow: boolean
}

const KNOWN: Record<string, StatusStyle> = {
  ok: {color: OKABE_ITO.blue, shape: 'circle', hollow: false},
  error: {color: OKABE_ITO.vermillion, shape: 'cross', hollow: false},
  late: {color: OKABE_ITO.orange, shape: 'diamond', hollow: false},
  unanswered: {color: OKABE_ITO.purple, shape: 'triangle', hollow: true},
  uncertain: {color: OKABE_ITO.skyBlue, shape: 'diamond', hollow: true},
  duplicate: {color: OKABE_ITO.orange, shape: 'plus', hollow: false},
  orphan: {color: OKABE_ITO.black, shape: 'square', hollow: true},
}

/** Statuses the page has not heard of (a new sniff state) get the rest, in turn. */
const SPARE: StatusStyle[] = [
  {color: OKABE_ITO.green, shape: 'square', hollow: false},
  {color: OKABE_ITO.skyBlue, shape: 'plus', hollow: false},
  {color: OKABE_ITO.black, shape: 'diamond', hollow: true},
]

const assigned = new Map<string, StatusStyle>()

export function statusStyle(key: string, answered = true): StatusStyle {
  const known = KNOWN[key]
  if (known !== undefined) return known
  let s = assigned.get(key)
  if (s === undefined) {
    const spare = SPARE[assigned.size % SPARE.length]
    s = {...spare, hollow: spare.hollow || !answered}
    assigned.set(key, s)
  }
  return s
}

/** A small SVG of the marker, for legends and table cells (decorative: the text says the status). */
export function markerSvg(key: string, answered = true): SVGSVGElement {
  const s = statusStyle(key, answered)
  const ns = 'http://www.w3.org/2000/svg'
  const svg = document.createElementNS(ns, 'svg')
  svg.setAttribute('width', '12')
  svg.setAttribute('height', '12')
  svg.setAttribute('viewBox', '-6 -6 12 12')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('class', 'marker')
  const path = document.createElementNS(ns, 'path')
  path.setAttribute('d', shapePath(s.shape, 4.5))
  const lineOnly = s.shape === 'cross' || s.shape === 'plus'
  path.setAttribute('fill', s.hollow || lineOnly ? 'none' : s.color)
  path.setAttribute('stroke', s.color)
  path.setAttribute('stroke-width', '1.6')
  svg.append(path)
  return svg
}

/** The shape as an SVG path around (0, 0) with radius r. */
export function shapePath(shape: Shape, r: number): string {
  switch (shape) {
    case 'circle':
      return `M ${r} 0 A ${r} ${r} 0 1 1 ${-r} 0 A ${r} ${r} 0 1 1 ${r} 0 Z`
    case 'cross':
      return `M ${-r} ${-r} L ${r} ${r} M ${-r} ${r} L ${r} ${-r}`
    case 'plus':
      return `M ${-r} 0 L ${r} 0 M 0 ${-r} L 0 ${r}`
    case 'triangle':
      return `M 0 ${-r} L ${r} ${r * 0.8} L ${-r} ${r * 0.8} Z`
    case 'diamond':
      return `M 0 ${-r} L ${r} 0 L 0 ${r} L ${-r} 0 Z`
    case 'square':
      return `M ${-r * 0.8} ${-r * 0.8} H ${r * 0.8} V ${r * 0.8} H ${-r * 0.8} Z`
  }
}

/** Colours for lines that are not statuses (rates, quantile lines). */
export const LINE = {
  calls: OKABE_ITO.blue,
  p50: OKABE_ITO.black,
  p99: OKABE_ITO.green,
  histogram: OKABE_ITO.blue,
  throughput: OKABE_ITO.skyBlue,
} as const
