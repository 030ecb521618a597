// Tables: quantiles per method and per server, the searchable list of calls in
// doubt, and the load test's error codes. Columns of statuses come from the
// data, so a status the sniffer adds later gets its column.

import type {CallRow, CallTable, LatencyGroup, StatusInfo} from '../data.js'
import {fmtCount, fmtMs, h, labelledSelect, uid} from './dom.js'
import {markerSvg} from './palette.js'

export function quantileTable(caption: string, groups: readonly LatencyGroup[], statuses: readonly StatusInfo[]): HTMLElement {
  const q = (g: LatencyGroup, k: 'min' | 'p50' | 'p90' | 'p99' | 'p999' | 'max' | 'mean') => h('td', {class: 'num'}, fmtMs(g.latency?.[k]))
  return h(
    'div',
    {class: 'table-wrap'},
    h(
      'table',
      {class: 'quantiles'},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {scope: 'col'}, 'Name'),
          h('th', {scope: 'col', class: 'num'}, 'Calls'),
          ...statuses.map((s) => h('th', {scope: 'col', class: 'num', title: s.label}, markerSvg(s.key, s.answered), ` ${s.key}`)),
          ...['min', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'].map((k) => h('th', {scope: 'col', class: 'num'}, k)),
        ),
      ),
      h(
        'tbody',
        {},
        ...groups.map((g) =>
          h(
            'tr',
            {},
            h('th', {scope: 'row'}, g.name),
            h('td', {class: 'num'}, fmtCount(g.calls)),
            ...statuses.map((s) => h('td', {class: 'num'}, fmtCount(g.statuses[s.key] ?? 0))),
            q(g, 'min'),
            q(g, 'p50'),
            q(g, 'p90'),
            q(g, 'p99'),
            q(g, 'p999'),
            q(g, 'max'),
            q(g, 'mean'),
          ),
        ),
      ),
    ),
  )
}

export interface CallTableView {
  readonly el: HTMLElement
}

/**
 * The calls in doubt, searchable: the search box matches any text of a row
 * (msg_id, method, ends, reason, causes); the status list narrows further.
 */
export function callTable(
  table: CallTable,
  statuses: readonly StatusInfo[],
  clock: (t: number) => string,
  ladder: {has(conn: number): boolean; open(conn: number): void} | undefined,
): CallTableView {
  if (table.rows.length === 0) return {el: h('p', {class: 'empty'}, 'No call went unanswered or is in doubt.')}
  const labels = new Map(statuses.map((s) => [s.key, s]))
  const rowText = (r: CallRow) => [r.msgId, r.method, r.status, labels.get(r.status)?.label ?? '', r.reason, r.client ?? '', r.server ?? '', r.conn === undefined ? '' : `#${r.conn}`, ...r.causes.map((i) => table.causes[i])].join(' ').toLowerCase()
  const rows = table.rows.map((r) => {
    const tr = h(
      'tr',
      {'data-msgid': r.msgId, 'data-status': r.status},
      h('td', {class: 'num'}, clock(r.t)),
      h('td', {class: 'mono'}, r.msgId),
      h('td', {}, r.method),
      h('td', {}, markerSvg(r.status, labels.get(r.status)?.answered ?? false), ` ${labels.get(r.status)?.label ?? r.status}`),
      h('td', {class: 'num'}, fmtMs(r.ms)),
      h('td', {}, r.reason),
      h('td', {}, r.causes.length === 0 ? '' : h('ul', {class: 'causes'}, ...r.causes.map((i) => h('li', {}, table.causes[i])))),
      ...(r.conn !== undefined
        ? [
            h(
              'td',
              {},
              `#${r.conn} ${r.client ?? ''} → ${r.server ?? ''} `,
              ladder?.has(r.conn) ? h('button', {type: 'button', class: 'link', onclick: () => ladder.open(r.conn!)}, 'ladder') : null,
            ),
          ]
        : []),
    )
    return {tr, text: rowText(r), status: r.status}
  })
  const count = h('span', {class: 'count', role: 'status', 'aria-live': 'polite'})
  let query = ''
  let only = ''
  const apply = () => {
    let shown = 0
    for (const r of rows) {
      const visible = (only === '' || r.status === only) && (query === '' || r.text.includes(query))
      r.tr.hidden = !visible
      if (visible) shown++
    }
    count.textContent = `${fmtCount(shown)} of ${fmtCount(rows.length)} rows shown`
  }
  const searchId = uid('search')
  const search = h('input', {
    id: searchId,
    type: 'search',
    placeholder: 'msg_id, method, address, cause…',
    autocomplete: 'off',
    oninput: () => {
      query = search.value.trim().toLowerCase()
      apply()
    },
  })
  const present = [...new Set(table.rows.map((r) => r.status))]
  const filter = labelledSelect('Status ', [{value: '', text: 'any'}, ...present.map((s) => ({value: s, text: labels.get(s)?.label ?? s}))], (v) => {
    only = v
    apply()
  })
  apply()
  const hasConn = table.rows.some((r) => r.conn !== undefined)
  const el = h(
    'div',
    {},
    h('div', {class: 'controls'}, h('span', {class: 'control'}, h('label', {for: searchId}, 'Search '), search), filter.el, count),
    table.note !== undefined ? h('p', {class: 'note'}, table.note) : null,
    h(
      'div',
      {class: 'table-wrap'},
      h(
        'table',
        {class: 'calls', id: 'calls-table'},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Time', 'msg_id', 'Method', 'Status', 'Waited / latency', 'Why it ended', 'Likely causes', ...(hasConn ? ['Connection'] : [])].map((c) => h('th', {scope: 'col'}, c)),
          ),
        ),
        h('tbody', {}, ...rows.map((r) => r.tr)),
      ),
    ),
  )
  return {el}
}

export function errorCodeTable(codes: ReadonlyArray<{kind: 'server' | 'transport'; code: string; name: string; count: number; example?: string}>): HTMLElement {
  if (codes.length === 0) return h('p', {}, 'Every call was answered with err_code 0.')
  return h(
    'div',
    {class: 'table-wrap'},
    h(
      'table',
      {class: 'codes'},
      h('caption', {}, 'Error codes: err_code from the server, or the transport error of calls without an answer'),
      h('thead', {}, h('tr', {}, ...['Kind', 'Code', 'Name', 'Calls', 'Example'].map((c) => h('th', {scope: 'col'}, c)))),
      h(
        'tbody',
        {},
        ...codes.map((c) =>
          h(
            'tr',
            {},
            h('td', {}, c.kind === 'server' ? 'server err_code' : 'no answer'),
            h('td', {class: 'mono'}, c.code),
            h('td', {}, c.name),
            h('td', {class: 'num'}, fmtCount(c.count)),
            h('td', {}, c.example ?? ''),
          ),
        ),
      ),
    ),
  )
}
