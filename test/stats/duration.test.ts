// The one duration formatter: short waits in ms, long ones in minutes and hours.
import {describe, expect, it} from 'vitest'

import {durationText} from '../../src/stats/duration.js'

describe('durationText', () => {
  it('reads at every scale', () => {
    expect(durationText(0.282)).toBe('0.282 ms')
    expect(durationText(999.9994)).toBe('999.999 ms')
    expect(durationText(1149.433)).toBe('1.149 s')
    expect(durationText(59_999)).toBe('59.999 s')
    expect(durationText(2_282_813.461)).toBe('38 min 2.8 s')
    expect(durationText(3_599_990)).toBe('1 h 0 min 0 s')
    expect(durationText(7_503_000)).toBe('2 h 5 min 3 s')
    expect(durationText(3 * 86_400_000 + 4 * 3_600_000 + 12 * 60_000)).toBe('3 d 4 h 12 min')
  })
})
