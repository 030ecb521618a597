import {describe, expect, it} from 'vitest'

import {listInterfaces, parseTcpdumpDevices} from '../../src/capture/index.js'
import {err, RpcDiagError} from '../../src/errors.js'

const noCap = () => err(new RpcDiagError('CAP_UNAVAILABLE', 'cap is not installed'))

describe('listInterfaces', () => {
  it('lists lo with its addresses and any, through cap (libpcap)', async () => {
    const r = await listInterfaces()
    if (!r.ok) throw r.error
    const lo = r.value.find((d) => d.name === 'lo')
    expect(lo).toBeDefined()
    expect(lo!.loopback).toBe(true)
    expect(lo!.addresses).toContainEqual({address: '127.0.0.1', netmask: '255.0.0.0', family: 4})
    expect(r.value.map((d) => d.name)).toContain('any')
  })

  it('lists the same interfaces through tcpdump -D when cap is missing', async () => {
    const viaCap = await listInterfaces()
    const viaTcpdump = await listInterfaces({loadCap: noCap})
    if (!viaCap.ok || !viaTcpdump.ok) throw new Error('listing failed')
    expect(new Set(viaTcpdump.value.map((d) => d.name))).toEqual(new Set(viaCap.value.map((d) => d.name)))
    const lo = viaTcpdump.value.find((d) => d.name === 'lo')!
    expect(lo.flags).toContain('Loopback')
    expect(lo.addresses.map((a) => a.address)).toContain('127.0.0.1')
  })

  it('says so when neither is there', async () => {
    const r = await listInterfaces({loadCap: noCap, tcpdump: '/nonexistent/tcpdump'})
    expect(!r.ok && r.error.code).toBe('CAPTURE_UNAVAILABLE')
  })

  it('parses tcpdump -D, descriptions with parentheses included', () => {
    expect(
      parseTcpdumpDevices('1.eth0 [Up, Running, Connected]\n2.any (Pseudo-device that captures on all interfaces) [Up, Running]\n7.nflog (Linux netfilter log (NFLOG) interface) [none]\n'),
    ).toEqual([
      {name: 'eth0', description: undefined, flags: ['Up', 'Running', 'Connected']},
      {name: 'any', description: 'Pseudo-device that captures on all interfaces', flags: ['Up', 'Running']},
      {name: 'nflog', description: 'Linux netfilter log (NFLOG) interface', flags: []},
    ])
  })
})
