import {describe, expect, it} from 'vitest'

import {DeliveryLag, deliveryFloorMs} from '../../src/sniff/delivery-lag.js'

describe('DeliveryLag', () => {
  it('ticks behind the wall clock by the floor, or by a larger delay seen within the window', () => {
    const lag = new DeliveryLag(1000, 5000, 50)
    expect(lag.tickTime(10_000)).toBe(10_000 - 1050)
    lag.observe(10_000, 10_000 - 1800) // a block held 1.8 s
    expect(lag.tickTime(11_000)).toBe(11_000 - 1850)
    lag.observe(12_000, 12_000 - 10) // a quick one does not shorten the remembered delay
    expect(lag.tickTime(12_000)).toBe(12_000 - 1850)
    // Past the window the large delay is forgotten; the floor stays.
    expect(lag.tickTime(15_100)).toBe(15_100 - 1050)
  })

  it('has no floor for cap, which hands each packet over at once, and 1 s for capture programs', () => {
    expect(deliveryFloorMs('cap')).toBe(0)
    expect(deliveryFloorMs('tcpdump')).toBe(1000)
    expect(deliveryFloorMs('dumpcap')).toBe(1000)
  })
})
