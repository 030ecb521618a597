// A small element builder: h('p', {class: 'note'}, 'text', child). Text is
// always set as text, never parsed as HTML: what the wire carried (method
// names, msg_ids, err_info) cannot inject markup into the page.

type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v)
    else if (v === true) el.setAttribute(k, '')
    else el.setAttribute(k, String(v))
  }
  append(el, children)
  return el
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    el.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c)
  }
}

let ids = 0
/** A fresh element id with a readable prefix. */
export function uid(prefix: string): string {
  return `${prefix}-${++ids}`
}

/** A labelled <select>: returns the label+select pair and the select. */
export function labelledSelect(label: string, options: ReadonlyArray<{value: string; text: string}>, onChange: (value: string) => void): {el: HTMLElement; select: HTMLSelectElement} {
  const id = uid('sel')
  const select = h('select', {id, onchange: () => onChange(select.value)}, ...options.map((o) => h('option', {value: o.value}, o.text)))
  return {el: h('span', {class: 'control'}, h('label', {for: id}, label), ' ', select), select}
}

export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–'
  if (v >= 1000) return `${(v / 1000).toFixed(3)} s`
  return `${v.toFixed(3)} ms`
}

export function fmtCount(n: number): string {
  return n.toLocaleString('en-US')
}
