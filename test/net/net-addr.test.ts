import {describe, expect, it} from 'vitest'

import {formatAddr, parseAddr, parsePort} from '../../src/net/index.js'

describe('addresses', () => {
  it('parses host:port, [v6]:port, :port and a bare port', () => {
    expect(parseAddr('10.0.0.1:12345')).toEqual({ok: true, value: {host: '10.0.0.1', port: 12345}})
    expect(parseAddr('[::1]:80')).toEqual({ok: true, value: {host: '::1', port: 80}})
    expect(parseAddr(':8080')).toEqual({ok: true, value: {host: '127.0.0.1', port: 8080}})
    expect(parseAddr('12345')).toEqual({ok: true, value: {host: '127.0.0.1', port: 12345}})
    expect(parseAddr('localhost:1')).toEqual({ok: true, value: {host: 'localhost', port: 1}})
  })

  it('rejects bad ports and bare IPv6 with a usage error', () => {
    for (const bad of ['host:99999', 'host:-1', 'host:abc', '::1:80', 'host:', '1.2.3.4:0']) {
      const r = parseAddr(bad)
      expect(r.ok, bad).toBe(false)
      if (!r.ok) expect(r.error.code).toBe('BAD_ADDR')
    }
    expect(parseAddr('127.0.0.1:0', '127.0.0.1', {allowZero: true}).ok).toBe(true)
    expect(parsePort('65536').ok).toBe(false)
    expect(parsePort('65535')).toEqual({ok: true, value: 65535})
  })

  it('formats IPv6 in brackets', () => {
    expect(formatAddr({host: '::1', port: 9})).toBe('[::1]:9')
    expect(formatAddr({host: '127.0.0.1', port: 9})).toBe('127.0.0.1:9')
  })
})

describe('port ranges', () => {
  it('parses a port or a range, refusing port 0 unless allowed', async () => {
    const {parsePortRange, inPortRanges} = await import('../../src/net/index.js')
    expect(parsePortRange('12345')).toEqual({ok: true, value: {from: 12345, to: 12345}})
    expect(parsePortRange(' 8000-8100 ')).toEqual({ok: true, value: {from: 8000, to: 8100}})
    for (const bad of ['0', '0x1f90', '1e3', '9-8', '1-2-3', '', '70000', 'http']) {
      const r = parsePortRange(bad)
      expect(r.ok, bad).toBe(false)
      if (!r.ok) expect(r.error.code).toBe('BAD_PORT')
    }
    expect(parsePortRange('0', {allowZero: true}).ok).toBe(true)
    expect(inPortRanges(8050, [{from: 1, to: 2}, {from: 8000, to: 8100}])).toBe(true)
    expect(inPortRanges(8101, [{from: 8000, to: 8100}])).toBe(false)
  })
})
