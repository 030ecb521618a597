import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {displayText, isShowableCodeUnit} from '../../decoders/string/index.js'

describe('displayText: wire and /proc strings for one terminal line', () => {
  it('keeps printable text as it is, the same string', () => {
    const s = 'Order.makeOrder 订单 ünïcode 🙂 back\\slash "quoted"'
    expect(displayText(s)).toBe(s)
  })

  it('escapes what a terminal would act on', () => {
    expect(displayText('\u001b[2J\u001b[31mOrder.makeOrder')).toBe('\\x1b[2J\\x1b[31mOrder.makeOrder')
    expect(displayText('a\tb\nc\rd\u0000e\u007f')).toBe('a\\tb\\nc\\rd\\x00e\\x7f')
    // C1 controls: 0x9b is CSI on some terminals.
    expect(displayText('x\u009b31my\u0085')).toBe('x\\x9b31my\\x85')
    // Bidi overrides and isolates reorder the rest of the line.
    expect(displayText('evil\u202egnp.exe\u2066\u2069')).toBe('evil\\u{202e}gnp.exe\\u{2066}\\u{2069}')
    // A lone surrogate, but not a pair.
    expect(displayText('a\ud800b\udc00c🙂')).toBe('a\\u{d800}b\\u{dc00}c🙂')
  })

  it('leaves no code unit a terminal would act on, and is stable when applied twice', () => {
    fc.assert(
      fc.property(fc.string({unit: 'binary'}), (s) => {
        const d = displayText(s)
        for (let i = 0; i < d.length; i++) {
          const c = d.charCodeAt(i)
          expect(isShowableCodeUnit(c) && c !== 0x09 && c !== 0x0a && c !== 0x0d, `code unit ${c.toString(16)} in ${JSON.stringify(d)}`).toBe(true)
        }
        expect(displayText(d)).toBe(d)
      }),
    )
  })
})
