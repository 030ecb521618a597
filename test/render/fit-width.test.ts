// Lines fitted to a terminal's width: fields lose their middle, prose wraps, pipes get whole lines.
import {beforeAll, describe, expect, it} from 'vitest'
import stringWidth from 'string-width'

import {fitLine, fittedWidth, loadFitting, outputWidth, wrapLine} from '../../src/render/fit-width.js'

// The libraries that measure and cut load on demand (fittedWidth does it for the commands).
beforeAll(() => loadFitting())

const CALL = '02:48:22.960779 127.0.0.1:50346 -> 127.0.0.1:12346 Order.makeOrder #47540503508945585041 71B/71B 1.018 ms OK'

describe('fitLine', () => {
  it('keeps a line that fits, and a line with no width', () => {
    expect(fitLine(CALL, undefined)).toBe(CALL)
    expect(fitLine(CALL, 200)).toBe(CALL)
  })

  it('elides the msg_id first, then the longest fields, never the time or the status', () => {
    for (const w of [100, 80]) {
      const fitted = fitLine(CALL, w)
      expect(stringWidth(fitted), fitted).toBeLessThanOrEqual(w)
      expect(fitted.startsWith('02:48:22.960779 ')).toBe(true)
      expect(fitted.endsWith(' 1.018 ms OK')).toBe(true)
    }
    expect(fitLine(CALL, 100)).toBe('02:48:22.960779 127.0.0.1:50346 -> 127.0.0.1:12346 Order.makeOrder #47540…585041 71B/71B 1.018 ms OK')
  })

  it('cuts the end when no field can give more', () => {
    expect(stringWidth(fitLine(CALL, 60))).toBeLessThanOrEqual(60)
    expect(stringWidth(fitLine('a '.repeat(60), 40))).toBeLessThanOrEqual(40)
  })
})

describe('wrapLine', () => {
  it('wraps prose with its indent kept and continuation lines indented', () => {
    const out = wrapLine('    first 05:22:09.627476: ' + 'word '.repeat(30), 40)
    expect(out.length).toBeGreaterThan(1)
    for (const l of out) expect(stringWidth(l)).toBeLessThanOrEqual(40)
    expect(out[0].startsWith('    first')).toBe(true)
    for (const l of out.slice(1)) expect(l.startsWith('      ')).toBe(true)
  })
})

describe('outputWidth', () => {
  it('honours COLUMNS on a pipe, a terminal its width, a pipe none', () => {
    expect(outputWidth({isTTY: false}, {COLUMNS: '80'})).toBe(80)
    expect(outputWidth({isTTY: true, columns: 132}, {})).toBe(132)
    expect(outputWidth({isTTY: false}, {})).toBeUndefined()
    expect(outputWidth({isTTY: true, columns: 132}, {COLUMNS: 'x'})).toBe(132)
  })
})

describe('fittedWidth', () => {
  it("gives outputWidth's answer (and has what fitting needs loaded when there is a width)", async () => {
    expect(await fittedWidth({isTTY: false}, {COLUMNS: '80'})).toBe(80)
    expect(await fittedWidth({isTTY: true, columns: 132}, {})).toBe(132)
    expect(await fittedWidth({isTTY: false}, {})).toBeUndefined()
    expect(stringWidth(fitLine(CALL, await fittedWidth({isTTY: false}, {COLUMNS: '60'})))).toBeLessThanOrEqual(60)
  })
})
