// The ladder (sequence) diagram of one connection, like Wireshark's flow
// graph: one row per event in time order, an arrow from the side that sent it
// to the other, the client's lifeline on the left and the server's on the
// right. A table, so it reads row by row with a keyboard or a screen reader.

import type {Ladder, LadderItem, Ladders, StatusInfo} from '../data.js'
import {fmtMs, h, labelledSelect} from './dom.js'
import {markerSvg, OKABE_ITO, statusStyle} from './palette.js'

const KIND_COLOR: Record<string, string> = {
  syn: '#555555',
  fin: '#555555',
  rst: OKABE_ITO.vermillion,
  request: OKABE_ITO.black,
  malformed: OKABE_ITO.black,
  gap: OKABE_ITO.purple,
}

export interface LadderView {
  readonly el: HTMLElement
  /** Show this connection's ladder; false when it was not kept. */
  show(conn: number): boolean
  has(conn: number): boolean
}

export function ladderView(ladders: Ladders, statuses: readonly StatusInfo[], clock: (t: number) => string): LadderView {
  const byId = new Map(ladders.conns.map((c) => [c.conn, c]))
  const answered = new Map(statuses.map((s) => [s.key, s.answered]))
  const body = h('div', {class: 'ladder-body'})
  const picker = labelledSelect(
    'Connection ',
    ladders.conns.map((c) => ({value: String(c.conn), text: `#${c.conn} ${c.client} → ${c.server}: ${c.why.join(', ')}`})),
    (v) => draw(byId.get(Number(v))),
  )
  const draw = (c: Ladder | undefined) => {
    body.replaceChildren()
    if (c === undefined) return
    body.append(ladderTable(c, answered, clock))
  }
  draw(ladders.conns[0])
  const el = h('div', {}, h('p', {class: 'note'}, ladders.note), ladders.conns.length > 0 ? picker.el : h('p', {}, 'No connection to show.'), body)
  return {
    el,
    has: (conn) => byId.has(conn),
    show(conn) {
      const c = byId.get(conn)
      if (c === undefined) return false
      picker.select.value = String(conn)
      draw(c)
      return true
    },
  }
}

function ladderTable(c: Ladder, answered: Map<string, boolean>, clock: (t: number) => string): HTMLElement {
  const caption = h(
    'caption',
    {},
    `Connection #${c.conn}: client ${c.client}, server ${c.server}`,
    c.closedMs !== undefined ? `; closed (${c.closeReason}) after ${fmtMs(c.closedMs - c.openedMs)}` : '; still open when the capture ended',
    c.omitted > 0 ? `; ${c.omitted} events of this connection not shown` : '',
  )
  const head = h(
    'tr',
    {},
    h('th', {scope: 'col'}, 'Time'),
    h('th', {scope: 'col'}, '+ms'),
    h('th', {scope: 'col', class: 'lanes-head'}, h('span', {}, `client ${c.client}`), h('span', {}, `server ${c.server}`)),
    h('th', {scope: 'col'}, 'Event'),
  )
  let prev = c.openedMs
  const rows = c.items.map((it) => {
    const delta = it.t - prev
    prev = it.t
    return h(
      'tr',
      {class: `k-${it.kind}`, 'data-msgid': it.msgId},
      h('td', {class: 'num'}, clock(it.t)),
      h('td', {class: 'num', title: `${delta.toFixed(3)} ms after the row above`}, (it.t - c.openedMs).toFixed(3)),
      h('td', {class: 'lanes'}, arrow(it, answered)),
      h('td', {}, describe(it)),
    )
  })
  return h('table', {class: 'ladder'}, caption, h('thead', {}, head), h('tbody', {}, ...rows))
}

function arrow(it: LadderItem, answered: Map<string, boolean>): HTMLElement {
  const color = it.status !== undefined ? statusStyle(it.status, answered.get(it.status) ?? true).color : (KIND_COLOR[it.kind] ?? OKABE_ITO.black)
  const label = h('span', {class: 'lbl'}, it.status !== undefined ? markerSvg(it.status, answered.get(it.status) ?? true) : null, ` ${shortLabel(it)}`)
  if (it.from === undefined) return h('div', {class: 'ladder-note', style: `--c: ${color}`}, label)
  return h('div', {class: `arrow to-${it.from === 'client' ? 'server' : 'client'}${it.kind === 'gap' ? ' dashed' : ''}`, style: `--c: ${color}`, 'aria-hidden': 'true'}, label)
}

function shortLabel(it: LadderItem): string {
  return it.label.length > 90 ? `${it.label.slice(0, 87)}…` : it.label
}

function describe(it: LadderItem): string {
  const who = it.from === undefined ? '' : `${it.from} → ${it.from === 'client' ? 'server' : 'client'}: `
  return `${who}${it.label}`
}
