import {describe, expect, it} from 'vitest'

import {runBpf} from '../../decoders/bpf/index.js'
import {LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2} from '../../decoders/packet/index.js'
import {buildFilter, compileFilter} from '../../src/capture/index.js'
import {fixture, readChunks} from '../fixtures/pcap/read-capture.js'

function expr(spec: Parameters<typeof buildFilter>[0]): string {
  const r = buildFilter(spec)
  if (!r.ok) throw r.error
  return r.value.expression
}

describe('buildFilter', () => {
  it('always captures TCP, then ANDs ports, hosts and the raw expression', () => {
    expect(expr({})).toBe('tcp')
    expect(expr({ports: [12345]})).toBe('tcp and port 12345')
    expect(expr({ports: ['12345', '8000-8010']})).toBe('tcp and (port 12345 or portrange 8000-8010)')
    expect(expr({hosts: ['10.0.0.1', '10.1.2.3/16', '2001:DB8::0:1', 'db.example.com']})).toBe(
      'tcp and (host 10.0.0.1 or net 10.1.0.0/16 or host 2001:db8::1 or host db.example.com)',
    )
    expect(expr({ports: [1], hosts: ['::1'], filter: ' not port 22 '})).toBe('tcp and port 1 and host ::1 and (not port 22)')
  })

  it('says which parts rpcdiag can match without libpcap', () => {
    const ok = buildFilter({ports: [1], hosts: ['10.0.0.0/8']})
    expect(ok.ok && ok.value.matchableWithoutLibpcap).toBe(true)
    const name = buildFilter({hosts: ['localhost']})
    expect(name.ok && name.value.matchableWithoutLibpcap).toBe(false)
    const raw = buildFilter({filter: 'greater 10'})
    expect(raw.ok && raw.value.matchableWithoutLibpcap).toBe(false)
  })

  it('refuses bad ports and hosts with a code', () => {
    for (const port of ['0', '65536', 'http', '9000-8000', '1 or 1=1', '']) {
      const r = buildFilter({ports: [port]})
      expect(!r.ok && r.error.code).toBe('BAD_PORT')
    }
    for (const host of ['10.0.0.256', '10.0.0.1/33', 'a b', 'host or port 1', '::1/200', '-bad', '1.2.3']) {
      const r = buildFilter({hosts: [host]})
      expect({host, code: !r.ok && r.error.code}).toEqual({host, code: 'BAD_HOST'})
    }
  })
})

describe('compileFilter (libpcap through tcpdump -ddd)', () => {
  it('compiles for the link type asked and the program filters like the kernel would', async () => {
    const packets = readChunks([fixture('rocket_fast_25calls_12346.pcap')]).packets
    const r = await compileFilter('tcp dst port 12346 and tcp[tcpflags] & tcp-syn != 0', LINKTYPE_ETHERNET)
    if (!r.ok) throw r.error
    const syns = packets.filter((p) => runBpf(r.value, p.data, p.origLen) !== 0)
    expect(syns.length).toBe(25) // one SYN per call
    // The same expression for SLL2 reads the EtherType somewhere else: a different program.
    const sll2 = await compileFilter('tcp dst port 12346', LINKTYPE_LINUX_SLL2)
    if (!sll2.ok) throw sll2.error
    expect(Array.from(sll2.value.k)).not.toEqual(Array.from(r.value.k))
  })

  it('returns libpcap complaints as BAD_FILTER', async () => {
    for (const bad of ['tcp and', 'port 99999', 'ether host 1.2.3.4.5', 'nosuchkeyword']) {
      const r = await compileFilter(bad, LINKTYPE_ETHERNET)
      expect({bad, code: !r.ok && r.error.code}).toEqual({bad, code: 'BAD_FILTER'})
    }
  })
})
