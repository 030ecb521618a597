import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {type CapturedPacket, decodeCapturedPacket, encodePacket, LINKTYPE_ETHERNET} from '../../decoders/packet/index.js'
import {encodePcapFile} from '../../decoders/pcap/index.js'
import {type CaptureSource, openCapture, openFileSource} from '../../src/capture/index.js'
import {describe as summary, FIXTURES, fixture, readChunks} from '../fixtures/pcap/read-capture.js'

const ROCKET = join(FIXTURES, 'rocket_fast_25calls_12346.pcap')
const MIXED = join(FIXTURES, 'mixed_links.pcapng')
const tmp = mkdtempSync(join(tmpdir(), 'rpcdiag-sources-'))

async function drain(source: CaptureSource): Promise<CapturedPacket[]> {
  const out: CapturedPacket[] = []
  for await (const batch of source.batches()) out.push(...batch)
  return out
}

async function open(opts: Parameters<typeof openCapture>[0]): Promise<CaptureSource> {
  const r = await openCapture(opts)
  if (!r.ok) throw r.error
  return r.value.source
}

/**
 * What tcpdump itself keeps of a file for a filter. libpcap refuses a pcapng
 * whose interfaces differ in link type ("an interface has a type 276 different
 * from the type of the first interface"), so mixed_links.pcapng is counted as
 * the two files mergecap made it from.
 */
function tcpdumpCount(file: string, expr: string): number {
  if (file === MIXED) return tcpdumpCount(join(FIXTURES, 'rocket_first_call.pcap'), expr) + tcpdumpCount(join(FIXTURES, 'any_sll2.pcap'), expr)
  const out = execFileSync('tcpdump', ['-nr', file, expr], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  return out.split('\n').filter((l) => l.trim() !== '').length
}

describe('--read FILE', () => {
  it('hands out every packet of the rocket capture, then ends at eof', async () => {
    const source = await open({read: ROCKET})
    expect(source.kind).toBe('file')
    expect(source.description).toContain('(pcap, link-type EN10MB)')
    expect(source.linkType).toBe(LINKTYPE_ETHERNET)
    const packets = await drain(source)
    expect(packets.map(summary)).toEqual(readChunks([fixture('rocket_fast_25calls_12346.pcap')]).packets.map(summary))
    expect(source.end).toEqual({reason: 'eof'})
    const stats = source.stats()
    expect(stats).toMatchObject({packets: 225, fileBytesRead: 22449, fileSize: 22449, filtered: 0, queueDrops: 0})
    expect(stats.kernelDrops).toBeUndefined()
  })

  it('gives the same packets one by one as in batches, from small reads', async () => {
    const one: CapturedPacket[] = []
    for await (const p of await open({read: join(FIXTURES, 'rocket_25calls.pcapng')})) one.push(p)
    expect(one.map(summary)).toEqual(readChunks([fixture('rocket_fast_25calls_12346.pcap')]).packets.map(summary))
  })

  it('reads into the same memory again with reuseMemory, never under packets not yet consumed', async () => {
    // Small reads: records cut at every kind of place, some longer than a read.
    const want = readChunks([fixture('rocket_fast_25calls_12346.pcap')]).packets.map(summary)
    for (const file of ['rocket_fast_25calls_12346.pcap', 'rocket_25calls.pcapng']) {
      for (const chunkSize of [64, 1000, 10_000]) {
        const r = await openFileSource(join(FIXTURES, file), {reuseMemory: true, chunkSize})
        if (!r.ok) throw r.error
        const seen: Array<ReturnType<typeof summary>> = []
        const buffers = new Set<ArrayBufferLike>()
        // Each batch as it is handed out: a read into its memory before now would show here.
        for await (const batch of r.value.batches()) for (const p of batch) {
          seen.push(summary(p))
          if (p.data.buffer.byteLength === chunkSize) buffers.add(p.data.buffer)
        }
        expect(seen, `${file} in ${chunkSize}-byte reads`).toEqual(want)
        expect(r.value.end).toEqual({reason: 'eof'})
        // Two read buffers taking turns (records cut between reads are joined in small buffers of their own).
        if (chunkSize === 10_000) expect(buffers.size).toBe(2)
      }
    }
  })

  it('ends with an error after the whole packets of a truncated file, reusing memory too', async () => {
    const file = join(tmp, 'cut-reuse.pcap')
    const whole = fixture('rocket_fast_25calls_12346.pcap')
    writeFileSync(file, whole.subarray(0, whole.length - 20))
    const r = await openFileSource(file, {reuseMemory: true, chunkSize: 1000})
    if (!r.ok) throw r.error
    expect((await drain(r.value)).length).toBe(224)
    expect(r.value.end?.error?.code).toBe('BAD_CAPTURE_FILE')
  })

  it('reports pcapng interface drops as kernel drops', async () => {
    const source = await open({read: join(FIXTURES, 'dumpcap_lo.pcapng')})
    expect((await drain(source)).length).toBe(30)
    expect(source.stats().kernelDrops).toBe(0)
  })

  it('ends with an error after the whole packets of a truncated file', async () => {
    const file = join(tmp, 'cut.pcap')
    const whole = fixture('rocket_fast_25calls_12346.pcap')
    writeFileSync(file, whole.subarray(0, whole.length - 20))
    const source = await open({read: file})
    expect((await drain(source)).length).toBe(224)
    expect(source.end?.reason).toBe('error')
    expect(source.end?.error?.code).toBe('BAD_CAPTURE_FILE')
    expect((source.end?.error?.cause as {code: string}).code).toBe('TRUNCATED')
  })

  it('stops early, and stops on its signal', async () => {
    const source = await open({read: ROCKET})
    let n = 0
    for await (const p of source) {
      expect(p.data.length).toBeGreaterThan(0)
      if (++n === 3) break
    }
    expect(source.end).toEqual({reason: 'stopped'})
    const ac = new AbortController()
    ac.abort()
    const aborted = await open({read: ROCKET, signal: ac.signal})
    expect((await drain(aborted)).length).toBeLessThanOrEqual(225)
    expect(aborted.end?.reason).toBe('stopped')
  })

  it('refuses what it cannot read, before any packet', async () => {
    const cases: Array<[string, Buffer | undefined, string, string?]> = [
      ['missing.pcap', undefined, 'READ_FAILED'],
      ['empty.pcap', Buffer.alloc(0), 'BAD_CAPTURE_FILE', 'EMPTY'],
      ['text.pcap', Buffer.from('this is not a capture\n'), 'BAD_CAPTURE_FILE', 'BAD_MAGIC'],
      ['wifi.pcap', encodePcapFile({linkType: 105}, []), 'UNSUPPORTED_LINK_TYPE'],
    ]
    for (const [name, content, code, cause] of cases) {
      const path = join(tmp, name)
      if (content !== undefined) writeFileSync(path, content)
      const r = await openCapture({read: path})
      expect(r.ok).toBe(false)
      if (r.ok) continue
      expect(r.error.code).toBe(code)
      if (cause) expect((r.error.cause as {code: string}).code).toBe(cause)
    }
    const dir = await openCapture({read: tmp})
    expect(!dir.ok && dir.error.code).toBe('READ_FAILED')
  })
})

describe('--read - (stdin)', () => {
  it('reads a pcap piped from tcpdump -w -', async () => {
    const child = spawn('tcpdump', ['-r', ROCKET, '-w', '-'], {stdio: ['ignore', 'pipe', 'ignore']})
    const source = await open({read: '-', stdin: child.stdout})
    expect(source.kind).toBe('stdin')
    const packets = await drain(source)
    expect(packets.length).toBe(225)
    expect(source.end).toEqual({reason: 'eof'})
    expect(source.stats().fileSize).toBeUndefined()
  })

  it('reads a pcapng written to the pipe a byte at a time', async () => {
    const stdin = new PassThrough()
    const file = fixture('mixed_links.pcapng')
    const opening = open({read: '-', stdin})
    let at = 0
    const pump = () => {
      if (at < file.length) stdin.write(file.subarray(at, ++at), pump)
      else stdin.end()
    }
    pump()
    const source = await opening
    const packets = await drain(source)
    expect(packets.map(summary)).toEqual(readChunks([file]).packets.map(summary))
  })

  it('refuses a stream that is not a capture', async () => {
    const stdin = new PassThrough()
    stdin.end('GET / HTTP/1.1\r\n\r\n')
    const r = await openCapture({read: '-', stdin})
    expect(!r.ok && r.error.code).toBe('BAD_CAPTURE_FILE')
  })
})

describe('filters on files', () => {
  it('keeps the packets of --port (both directions) like tcpdump does', async () => {
    const source = await open({read: MIXED, ports: [12347]})
    const packets = await drain(source)
    expect(packets.length).toBe(tcpdumpCount(MIXED, 'tcp port 12347'))
    expect(packets.length).toBe(30)
    expect(source.stats().filtered).toBe(8)
    for (const p of packets) {
      const r = decodeCapturedPacket(p)
      expect(r.kind === 'tcp' && (r.segment.srcPort === 12347 || r.segment.dstPort === 12347)).toBe(true)
    }
  })

  it('matches --host and networks, IPv4 and IPv6', async () => {
    const v6 = join(FIXTURES, 'lo_ipv6.pcap')
    expect((await drain(await open({read: v6, hosts: ['::1']}))).length).toBe(30)
    expect((await drain(await open({read: v6, hosts: ['::2']}))).length).toBe(0)
    expect((await drain(await open({read: ROCKET, hosts: ['127.0.0.0/8'], ports: ['12000-12999']}))).length).toBe(225)
    expect((await drain(await open({read: ROCKET, hosts: ['10.0.0.0/8']}))).length).toBe(0)
  })

  it('runs a raw --filter as libpcap compiles it, per link type, to the counts tcpdump gives', async () => {
    const exprs = ['tcp[tcpflags] & tcp-syn != 0', 'greater 100', 'src port 12346', 'tcp port 12347 and tcp[tcpflags] & tcp-push != 0', 'ip6']
    for (const file of [ROCKET, MIXED, join(FIXTURES, 'lo_ipv6.pcap'), join(FIXTURES, 'any_sll.pcap')]) {
      for (const filter of exprs) {
        const source = await open({read: file, filter})
        expect(source.filter).toBe(`tcp and (${filter})`)
        const want = tcpdumpCount(file, `tcp and (${filter})`)
        expect({file, filter, n: (await drain(source)).length}).toEqual({file, filter, n: want})
      }
    }
  })

  it('reports a bad raw filter at open, in libpcap words', async () => {
    const r = await openCapture({read: ROCKET, filter: 'port and and'})
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('BAD_FILTER')
      expect(r.error.message).toContain('syntax error')
    }
  })

  it('says a raw filter needs tcpdump when it is missing', async () => {
    const r = await openCapture({read: ROCKET, filter: 'greater 100', tcpdump: '/nonexistent/tcpdump'})
    expect(!r.ok && r.error.code).toBe('FILTER_COMPILER_MISSING')
    // Ports and addresses do not need it.
    expect((await drain(await open({read: ROCKET, ports: [12346], tcpdump: '/nonexistent/tcpdump'}))).length).toBe(225)
  })

  it('keeps IPv4 fragments out of a port filter, as BPF does', async () => {
    const frag = encodePacket({src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 12346, payload: Buffer.alloc(10)})
    frag.writeUInt16BE(0x2000 | 10, 20)
    const file = join(tmp, 'frag.pcap')
    writeFileSync(file, encodePcapFile({linkType: LINKTYPE_ETHERNET}, [{tsSec: 1, tsNsec: 0, data: frag}]))
    expect((await drain(await open({read: file, ports: [12346]}))).length).toBe(tcpdumpCount(file, 'tcp port 12346'))
  })
})
