import {execFileSync, spawn} from 'node:child_process'
import {chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {encodePacket, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2} from '../../decoders/packet/index.js'
import {CAPTURE_FILE_MODE, openCapture, PcapWriter} from '../../src/capture/index.js'
import {describe as summary, fixture, readChunks} from '../fixtures/pcap/read-capture.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')
const tmp = mkdtempSync(join(tmpdir(), 'rpcdiag-writer-'))
const rocket = readChunks([fixture('rocket_fast_25calls_12346.pcap')]).packets

function tcpdumpRead(file: string): {status: number; lines: number} {
  const out = execFileSync('tcpdump', ['-nr', file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  return {status: 0, lines: out.split('\n').filter((l) => l.trim() !== '').length}
}

function open(path: string, linkType = LINKTYPE_ETHERNET, extra: {snaplen?: number; nanoseconds?: boolean} = {}): PcapWriter {
  const w = PcapWriter.open(path, {linkType, ...extra})
  if (!w.ok) throw w.error
  return w.value
}

describe('PcapWriter', () => {
  it('writes a file tcpdump, tshark and rpcdiag read back, with mode 0600', () => {
    const path = join(tmp, 'out.pcap')
    const w = open(path)
    expect(w.writeMany(rocket.slice(0, 200))).toBeUndefined()
    for (const p of rocket.slice(200)) expect(w.write(p)).toBeUndefined()
    expect(w.close()).toBeUndefined()
    expect(w.close()).toBeUndefined() // twice is fine (SIGINT after a normal close)
    expect(statSync(path).mode & 0o777).toBe(CAPTURE_FILE_MODE)
    expect(tcpdumpRead(path)).toEqual({status: 0, lines: 225})
    const tshark = execFileSync('tshark', ['-r', path], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
    expect(tshark.trim().split('\n').length).toBe(225)
    // The same header fields and records tcpdump wrote: the file is byte for byte the fixture.
    expect(readFileSync(path).equals(fixture('rocket_fast_25calls_12346.pcap'))).toBe(true)
    expect(readChunks([readFileSync(path)]).packets.map(summary)).toEqual(rocket.map(summary))
  })

  it('makes an existing world-readable file 0600', () => {
    const path = join(tmp, 'existing.pcap')
    writeFileSync(path, 'old contents')
    chmodSync(path, 0o644)
    const w = open(path)
    w.write(rocket[0])
    w.close()
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(tcpdumpRead(path).lines).toBe(1)
  })

  // mknod needs root; CI runs as root.
  it.runIf(process.getuid?.() === 0)('refuses a device, and leaves its mode alone (as root, -w /dev/null must not lock others out of it)', () => {
    const dev = join(tmp, 'null-device')
    execFileSync('mknod', [dev, 'c', '1', '3'])
    chmodSync(dev, 0o666)
    const r = PcapWriter.open(dev, {linkType: LINKTYPE_ETHERNET})
    expect(r.ok ? undefined : r.error.code).toBe('WRITE_FAILED')
    expect(r.ok ? '' : r.error.message).toContain('not a regular file')
    expect(statSync(dev).mode & 0o777).toBe(0o666)
  })

  it('never writes through a symlink: not to its target, nor creating a dangling one\'s target', () => {
    // As root a link could point at /etc/passwd: a copy of it stands in.
    const target = join(tmp, 'passwd-copy')
    const original = readFileSync('/etc/passwd')
    writeFileSync(target, original)
    chmodSync(target, 0o644)
    const link = join(tmp, 'link.pcap')
    symlinkSync(target, link)
    const r = PcapWriter.open(link, {linkType: LINKTYPE_ETHERNET})
    expect(r.ok ? undefined : r.error.code).toBe('WRITE_FAILED')
    expect(r.ok ? '' : r.error.message).toContain('symbolic link')
    expect(readFileSync(target).equals(original)).toBe(true)
    expect(statSync(target).mode & 0o777).toBe(0o644)

    const dangling = join(tmp, 'dangling.pcap')
    const nowhere = join(tmp, 'created-through-a-link')
    symlinkSync(nowhere, dangling)
    const d = PcapWriter.open(dangling, {linkType: LINKTYPE_ETHERNET})
    expect(d.ok).toBe(false)
    expect(existsSync(nowhere)).toBe(false)
  })

  it('refuses a FIFO without waiting for a reader, and a file with a second hard link', () => {
    const fifo = join(tmp, 'fifo.pcap')
    execFileSync('mkfifo', [fifo])
    const f = PcapWriter.open(fifo, {linkType: LINKTYPE_ETHERNET})
    expect(f.ok ? '' : f.error.message).toContain('FIFO')
    const file = join(tmp, 'linked.pcap')
    writeFileSync(file, 'keep me')
    linkSync(file, join(tmp, 'other-name'))
    const h = PcapWriter.open(file, {linkType: LINKTYPE_ETHERNET})
    expect(h.ok ? '' : h.error.message).toContain('hard links')
    expect(readFileSync(file, 'utf8')).toBe('keep me')
  })

  it('overwrites a regular file, as tcpdump does', () => {
    const path = join(tmp, 'old.pcap')
    writeFileSync(path, Buffer.alloc(100_000, 0x41))
    const w = open(path)
    w.write(rocket[0])
    w.close()
    expect(statSync(path).size).toBe(24 + 16 + rocket[0].data.length)
    expect(tcpdumpRead(path).lines).toBe(1)
  })

  it('keeps nanoseconds when asked, and cuts to the snaplen keeping the wire length', () => {
    const path = join(tmp, 'ns.pcap')
    const big = encodePacket({src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: Buffer.alloc(1000, 7)})
    const w = open(path, LINKTYPE_ETHERNET, {snaplen: 100, nanoseconds: true})
    w.write({tsSec: 1_700_000_000, tsNsec: 123_456_789, data: big})
    w.close()
    const [p] = readChunks([readFileSync(path)]).packets
    expect(p).toMatchObject({tsSec: 1_700_000_000, tsNsec: 123_456_789, origLen: big.length})
    expect(p.data.length).toBe(100)
    expect(execFileSync('tcpdump', ['-nr', path], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})).toContain('length 1000')
  })

  it('refuses a packet of another link type, and writes after close', () => {
    const w = open(join(tmp, 'mixed.pcap'))
    expect(w.write({...rocket[0], linkType: LINKTYPE_LINUX_SLL2})?.code).toBe('WRITE_FAILED')
    const w2 = open(join(tmp, 'closed.pcap'))
    w2.close()
    expect(w2.write(rocket[0])?.code).toBe('WRITE_FAILED')
  })

  it('reports a path it cannot create', () => {
    const r = PcapWriter.open(join(tmp, 'no', 'such', 'dir.pcap'), {linkType: LINKTYPE_ETHERNET})
    expect(!r.ok && r.error.code).toBe('WRITE_FAILED')
  })

  it('leaves a readable file with every packet written when the process is killed', async () => {
    const path = join(tmp, 'killed.pcap')
    // node itself with tsx's loader (not the tsx CLI, whose child would outlive a SIGKILL).
    const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'writer-probe.ts'), path, '57'], {cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit']})
    await new Promise<void>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d) => {
        out += d
        if (out.includes('written 57')) resolve()
      })
      child.on('exit', (code) => reject(new Error(`probe exited with ${code} before writing`)))
    })
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(tcpdumpRead(path)).toEqual({status: 0, lines: 57})
    const back = await openCapture({read: path})
    if (!back.ok) throw back.error
    let n = 0
    for await (const _ of back.value.source) n++
    expect(n).toBe(57)
    expect(back.value.source.end).toEqual({reason: 'eof'})
  })

  // A full disk: a small tmpfs this test mounts (root; CI runs as root), and unmounts.
  describe.runIf(process.getuid?.() === 0)('on a full disk', () => {
    const mnt = join(tmp, 'small-disk')
    beforeAll(() => {
      mkdirSync(mnt)
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'rpcdiag-test', mnt])
    })
    afterAll(() => {
      // Lazy: a writer a failed test left open must not keep the mount behind.
      execFileSync('umount', ['-l', mnt])
    })

    it('keeps only whole records, and says how many packets the file holds', () => {
      const path = join(mnt, 'full.pcap')
      const w = open(path)
      let e: ReturnType<PcapWriter['writeMany']>
      // 64 KiB holds a few rounds of the 19 KB capture; at most 100 rounds.
      for (let round = 0; round < 100 && (e = w.writeMany(rocket)) === undefined; round++);
      expect(e!).toBeDefined()
      expect(e!.code).toBe('WRITE_FAILED')
      expect(e!.message).toContain('no space left on device')
      expect(e!.message).toContain(`the first ${w.packets} packet(s)`)
      expect(w.write(rocket[0])).toBe(e!) // refuses more
      w.close()
      expect(statSync(path).size).toBe(24 + w.bytes)
      // tcpdump exits non-zero on a file that ends inside a record.
      expect(tcpdumpRead(path).lines).toBe(w.packets)
      expect(w.packets).toBeGreaterThan(rocket.length)
    })
  })
})
