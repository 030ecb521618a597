// Live capture on loopback through both paths, libpcap via cap and the tcpdump
// child: a real TCP listener on 127.0.0.1 port 0, real bytes, the capture
// filtered to its port. CI runs as root; the permission test drops to nobody.
import {execFileSync} from 'node:child_process'
import {createServer, connect, type AddressInfo, type Server} from 'node:net'
import {dirname} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {decodeCapturedPacket, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, TCP_FIN, TCP_SYN} from '../../decoders/packet/index.js'
import {type CaptureBackend, type CaptureSource, openCapture, readPacketSocketCounters} from '../../src/capture/index.js'
import {err, RpcDiagError} from '../../src/errors.js'
import {bundleForOtherUser, NOBODY, removeReachableDirs} from '../helpers/other-user.js'

// Capturing needs root (or CAP_NET_RAW); CI runs as root. Without it these
// suites do not run: there is nothing to capture with.
const isRoot = process.getuid?.() === 0

// The makeOrder request and reply from TINYPB.md ("A real frame").
const REQUEST = Buffer.from(
  '0200000046000000143230303030303030303030303030303030303031' + '0000000f4f726465722e6d616b654f72646572' + '0000000000000000' + '086412056170706c65' + '0000000103',
  'hex',
)
const REPLY = Buffer.from(
  '0200000047000000143230303030303030303030303030303030303031' + '0000000f4f726465722e6d616b654f72646572' + '0000000000000000' + '1a083230323330353134' + '0000000103',
  'hex',
)

let server: Server
let port: number

beforeAll(async () => {
  server = createServer((s) => {
    const got: Buffer[] = []
    s.on('data', (d) => {
      got.push(d)
      if (Buffer.concat(got).length >= REQUEST.length) s.end(REPLY)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

/** One call: connect, send the request in two writes, read the reply, close. */
function call(): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1', () => {
      c.write(REQUEST.subarray(0, 10))
      setImmediate(() => c.write(REQUEST.subarray(10)))
    })
    c.on('data', () => {})
    c.on('end', () => c.end())
    c.on('close', () => resolve())
    c.on('error', reject)
  })
}

interface Seen {
  toServer: Buffer
  toClient: Buffer
  syn: number
  fins: number
  linkTypes: Set<number>
  tsSec: number[]
}

/** Consume the capture until both payloads and both FINs went by, then stop it. */
async function collect(source: CaptureSource): Promise<Seen> {
  const seen: Seen = {toServer: Buffer.alloc(0), toClient: Buffer.alloc(0), syn: 0, fins: 0, linkTypes: new Set(), tsSec: []}
  for await (const batch of source.batches()) {
    for (const p of batch) {
      seen.linkTypes.add(p.linkType)
      const r = decodeCapturedPacket(p)
      if (r.kind !== 'tcp') continue
      const s = r.segment
      seen.tsSec.push(s.tsSec)
      if (s.flags & TCP_SYN) seen.syn++
      if (s.flags & TCP_FIN) seen.fins++
      if (s.dstPort === port) seen.toServer = Buffer.concat([seen.toServer, s.payload])
      else if (s.srcPort === port) seen.toClient = Buffer.concat([seen.toClient, s.payload])
    }
    if (seen.toServer.length >= REQUEST.length && seen.toClient.length >= REPLY.length && seen.fins >= 2) await source.stop()
  }
  return seen
}

const backends = ['dumpcap', 'tcpdump', 'cap'] as const satisfies readonly CaptureBackend[]

describe.runIf(isRoot).each(backends)('live capture through %s (root)', (backend) => {
  it.each([
    ['lo', LINKTYPE_ETHERNET],
    // libpcap gives dumpcap and cap cooked v1 on any; tcpdump asks for v2.
    ['any', backend === 'tcpdump' ? LINKTYPE_LINUX_SLL2 : LINKTYPE_LINUX_SLL],
  ])('captures exactly the bytes sent on %s', async (iface, linkType) => {
    const opened = await openCapture({backend, interface: iface, ports: [port]})
    if (!opened.ok) throw opened.error
    const {source} = opened.value
    expect(source.kind).toBe(backend)
    expect(source.filter).toBe(`tcp and port ${port}`)
    expect(source.linkType).toBe(linkType)
    const seen = collect(source)
    await call()
    const s = await seen
    expect(s.toServer.equals(REQUEST)).toBe(true)
    expect(s.toClient.equals(REPLY)).toBe(true)
    expect(s.syn).toBe(2)
    expect([...s.linkTypes]).toEqual([linkType])
    // Capture times are today's wall clock (kernel stamps through a capture process, arrival in JS for cap).
    const now = Date.now() / 1000
    for (const t of s.tsSec) expect(Math.abs(t - now)).toBeLessThan(3600)
    expect(source.timestampSource).toBe(backend === 'cap' ? 'userspace' : 'kernel')
    expect(source.end).toEqual({reason: 'stopped'})
    const stats = source.stats()
    expect(stats.packets).toBeGreaterThanOrEqual(8)
    expect(stats.kernelDrops).toBe(0)
    expect(stats.queueDrops).toBe(0)
    expect(stats.truncated).toBe(0)
  })

  it('refuses an interface that does not exist', async () => {
    const r = await openCapture({backend, interface: 'nosuch0'})
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.code).toBe('NO_SUCH_INTERFACE')
  })

  it('turns a filter libpcap rejects into BAD_FILTER', async () => {
    const r = await openCapture({backend, interface: 'lo', filter: 'port and and', bufferSize: 1 << 20})
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('BAD_FILTER')
      expect(r.error.message).toContain('syntax error')
    }
  })

  it('stops when its AbortSignal fires', async () => {
    const ac = new AbortController()
    const opened = await openCapture({backend, interface: 'lo', ports: [port], signal: ac.signal})
    if (!opened.ok) throw opened.error
    const {source} = opened.value
    const done = (async () => {
      let n = 0
      for await (const _ of source) n++
      return n
    })()
    ac.abort()
    expect(await done).toBe(0)
    expect(source.end?.reason).toBe('stopped')
  })
})

describe.runIf(isRoot)('capture backends', () => {
  const noCap = () => err(new RpcDiagError('CAP_UNAVAILABLE', 'the cap addon (libpcap) is not available: Cannot find module'))

  it('auto captures through dumpcap where it is installed, with kernel timestamps', async () => {
    const opened = await openCapture({interface: 'lo', ports: [port]})
    if (!opened.ok) throw opened.error
    const {source, notice} = opened.value
    expect(source.kind).toBe('dumpcap')
    expect(source.timestampSource).toBe('kernel')
    expect(notice).toBeUndefined()
    const seen = collect(source)
    await call()
    expect((await seen).toServer.equals(REQUEST)).toBe(true)
  })

  it('auto falls back to tcpdump without dumpcap, and to cap without either', async () => {
    const viaTcpdump = await openCapture({interface: 'lo', ports: [port], dumpcap: '/nonexistent/dumpcap'})
    if (!viaTcpdump.ok) throw viaTcpdump.error
    expect(viaTcpdump.value.source.kind).toBe('tcpdump')
    await viaTcpdump.value.source.stop()
    const viaCap = await openCapture({interface: 'lo', ports: [port], dumpcap: '/nonexistent/dumpcap', tcpdump: '/nonexistent/tcpdump'})
    if (!viaCap.ok) throw viaCap.error
    const {source} = viaCap.value
    expect(source.kind).toBe('cap')
    expect(source.timestampSource).toBe('userspace')
    const seen = collect(source)
    await call()
    expect((await seen).toServer.equals(REQUEST)).toBe(true)
  })

  it('says what is missing when neither a capture program nor cap is there', async () => {
    const r = await openCapture({interface: 'lo', dumpcap: '/nonexistent/dumpcap', tcpdump: '/nonexistent/tcpdump', loadCap: noCap})
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('CAPTURE_UNAVAILABLE')
      expect(r.error.message).toContain('dumpcap')
      expect(r.error.message).toContain('--read')
    }
    const one = await openCapture({backend: 'dumpcap', interface: 'lo', dumpcap: '/nonexistent/dumpcap'})
    expect(one.ok ? undefined : one.error.code).toBe('CAPTURE_UNAVAILABLE')
  })

  it('drops and counts packets past its queue limit instead of growing without bound', async () => {
    // A 100-byte queue cannot take the request and reply packets (136 and 137
    // bytes on lo) even empty, so those are dropped whatever the timing.
    const opened = await openCapture({backend: 'cap', interface: 'lo', ports: [port], maxQueueBytes: 100})
    if (!opened.ok) throw opened.error
    const {source} = opened.value
    let delivered = 0
    const consumed = (async () => {
      for await (const batch of source.batches()) {
        delivered += batch.length
        for (const p of batch) expect(p.data.length).toBeLessThanOrEqual(100)
      }
    })()
    await call()
    // Every packet of the call is either handed out or counted as dropped.
    while (delivered + source.stats().queueDrops < 8) await new Promise((r) => setTimeout(r, 20))
    await source.stop()
    await consumed
    expect(source.stats().queueDrops).toBeGreaterThan(0)
    expect(source.stats().packets).toBe(delivered)
  })

  it('gets no counters from a descriptor that is not a packet socket', async () => {
    expect(await readPacketSocketCounters(0)).toBeUndefined()
  })
})

describe.runIf(isRoot).each(backends)('a ring that overflows, through %s', (backend) => {
  it('reports the kernel drops', async () => {
    // A small kernel buffer (256 KiB: four 64 KiB frames for cap's ring), and
    // this process too busy to read it: SYNs to a closed port (each answered
    // by a RST) while the event loop is blocked. cap's ring fills at once;
    // tcpdump's fills once the pipe to this process does. libpcap must then
    // drop, and the counters must say so.
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const deadPort = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const opened = await openCapture({backend, interface: 'lo', ports: [deadPort], bufferSize: 256 * 1024})
    if (!opened.ok) throw opened.error
    const {source} = opened.value
    let packets = 0
    const consumed = (async () => {
      for await (const batch of source.batches()) packets += batch.length
    })()
    for (let i = 0; i < 6000; i++) connect(deadPort, '127.0.0.1').on('error', () => {})
    // Let the connections fail and the capture drain; then read the counters.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const stats = await source.refreshStats()
    await source.stop()
    await consumed
    const end = source.stats()
    expect(end.kernelDrops).toBeGreaterThan(0)
    // dumpcap reports its counters only as it stops.
    if (backend !== 'dumpcap') expect(end.kernelDrops).toBeGreaterThanOrEqual(stats.kernelDrops!)
    expect(packets).toBe(end.packets)
  })
})

describe.runIf(isRoot).each([...backends, 'auto'] as const)('capturing without privilege through %s', (backend) => {
  // The probe runs as nobody, who may not enter this checkout (a clone in
  // /root is mode 0700): it runs bundled, from a directory anyone can read.
  let probe: string
  beforeAll(async () => {
    probe = await bundleForOtherUser('test/capture/sources-probe.ts')
  }, 60_000)
  afterAll(() => removeReachableDirs())

  it('is CAPTURE_PERMISSION with the three ways out', () => {
    const out = execFileSync(process.execPath, [probe, backend, 'lo'], {
      cwd: dirname(probe),
      uid: NOBODY,
      gid: NOBODY,
      env: {...process.env, HOME: '/tmp'},
      encoding: 'utf8',
    })
    const r = JSON.parse(out.trim().split('\n').pop()!)
    expect(r).toMatchObject({ok: false, code: 'CAPTURE_PERMISSION'})
    expect(r.message).toContain('root')
    // auto: the first choice that is installed says how to let it capture.
    const binary = backend === 'cap' ? 'node' : backend === 'auto' ? 'dumpcap' : backend
    expect(r.message).toContain(`setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which ${binary}))`)
    expect(r.message).toContain('--read')
  })
})
