// sniff on lo through each live backend, with real calls through the embedded
// server: a 1 MiB call (lo's MTU is 65536, cap's snap length 65535; through cap, up to 5 until one is cut), and
// rpcdiag killed with SIGKILL while a capture process works for it.
// Capturing needs root; CI runs as root.
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, describe, expect, it} from 'vitest'

import {prepareCall, runCall, startServer} from '../../src/rpc/index.js'
import {loadSchema} from '../../src/rpc/proto/index.js'
import {runSniff, type SniffEvent} from '../../src/sniff/index.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')
const isRoot = process.getuid?.() === 0
const tmp = mkdtempSync(join(tmpdir(), 'rpcdiag-live-'))
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  rmSync(tmp, {recursive: true, force: true})
})

const order = (() => {
  const r = loadSchema({protoFiles: [join(ROOT, 'examples/order.proto')], importPaths: []})
  if (!r.ok) throw r.error
  return r.value
})()

async function server() {
  const r = await startServer({schema: order})
  if (!r.ok) throw r.error
  return r.value
}

async function callWith(port: number, goods: string) {
  const p = prepareCall({method: 'Order.makeOrder', schema: order, body: {kind: 'json', value: {price: 100, goods}}})
  if (!p.ok) throw p.error
  return runCall({addr: {host: '127.0.0.1', port}, prepared: p.value, timeoutMs: 10_000})
}

async function until(what: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !what() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20))
}

describe.runIf(isRoot).each(['dumpcap', 'tcpdump', 'cap'] as const)('a 1 MiB call over lo through %s', (backend) => {
  it(backend === 'cap' ? 'counts the packets cut at 65535 bytes and reports their missing bytes' : 'is decoded whole, with kernel timestamps', async () => {
    const srv = await server()
    try {
      const events: SniffEvent[] = []
      const r = await runSniff({
        capture: {backend, interface: 'lo', ports: [String(srv.address.port)]},
        processes: false,
        output: () => ({event: (e) => events.push(e)}),
      })
      if (!r.ok) throw r.error
      // cap cuts a packet only when TCP sent a full-size segment (65,483 bytes of payload on lo);
      // one loaded run saw none cut (most likely a slow reader's shrunken window kept every segment
      // smaller): up to 5 calls then, until one is.
      const calls = backend === 'cap' ? 5 : 1
      for (let i = 1; i <= calls; i++) {
        const result = await callWith(srv.address.port, 'x'.repeat(1 << 20))
        expect(result.status).toBe('ok')
        // The reply is the last payload: once it is seen, the request went by too.
        await until(() => r.value.session.stats.counters.responses >= i, 5000)
        if (r.value.session.summary().truncatedSegments > 0) break
      }
      await r.value.stop()
      const {summary, stats} = await r.value.done
      expect(summary.capturedPackets).toBe(stats.packets)
      expect(summary.truncatedPackets).toBe(stats.truncated)
      if (backend === 'cap') {
        // lo's full-size packets are 65549 bytes with their Ethernet header.
        expect(summary.timestampSource).toBe('userspace')
        expect(stats.truncated).toBeGreaterThan(0)
        expect(summary.gaps).toBeGreaterThan(0)
        expect(summary.gapBytes).toBeGreaterThanOrEqual(stats.truncated)
        expect(summary.gapBytes).toBeLessThanOrEqual(14 * stats.truncated)
      } else {
        expect(summary.timestampSource).toBe('kernel')
        expect(stats.truncated).toBe(0)
        expect(summary).toMatchObject({requests: 1, responses: 1, paired: 1, gaps: 0, gapBytes: 0})
        const tx = events.find((e) => e.type === 'transaction')
        expect(tx?.type === 'transaction' && tx.request.size).toBeGreaterThan(1 << 20)
      }
    } finally {
      await srv.close(50)
    }
  })
})

/** The processes whose parent is pid: [pid, command]. */
function childrenOf(pid: number): Array<[number, string]> {
  let out = ''
  try {
    out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], {encoding: 'utf8'})
  } catch {
    // ps exits 1 when no process matches.
  }
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [p, c] = l.trim().split(/\s+/)
      return [Number(p), c] as [number, string]
    })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe.runIf(isRoot).each(['dumpcap', 'tcpdump'] as const)('rpcdiag killed with SIGKILL while %s captures for it', (backend) => {
  it('leaves no capture process running, and a -w file of whole records', async () => {
    const srv = await server()
    const port = srv.address.port
    const file = join(tmp, `killed-${backend}.pcap`)
    // node with tsx's loader, one process (the tsx CLI's child would outlive the SIGKILL).
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/dev.js'), 'sniff', '-i', 'lo', '--port', String(port), '--backend', backend, '-w', file, '--no-processes', '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    try {
      await new Promise<void>((resolve, reject) => {
        let err = ''
        child.stderr!.on('data', (d) => {
          err += d
          if (/capturing on/.test(err)) resolve()
        })
        child.on('exit', (code) => reject(new Error(`sniff exited ${code} before capturing: ${err}`)))
      })
      child.stdout!.resume()
      // The lifeline sh, and the capture program under it.
      const lifeline = childrenOf(child.pid!).find(([, c]) => c === 'sh')
      expect(lifeline).toBeDefined()
      const program = childrenOf(lifeline![0]).find(([, c]) => c === backend)
      expect(program).toBeDefined()
      for (let i = 0; i < 20; i++) expect((await callWith(port, 'apple')).status).toBe('ok')
      // Killed at once: the program writes the file itself and flushes as the lifeline stops it.
      const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
      child.kill('SIGKILL')
      expect(await exited).toBe('SIGKILL')
      await until(() => !alive(program![0]) && !alive(lifeline![0]), 10_000)
      expect(alive(program![0])).toBe(false)
      expect(alive(lifeline![0])).toBe(false)
      // Every record in the file is whole (tcpdump exits non-zero on a cut one), and every call is there.
      const lines = execFileSync('tcpdump', ['-nr', file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim().split('\n')
      const read = await runSniff({capture: {read: file}, output: () => ({event: () => {}})})
      if (!read.ok) throw read.error
      const {summary} = await read.value.done
      expect(summary).toMatchObject({requests: 20, responses: 20, paired: 20})
      expect(lines.length).toBe(summary.capturedPackets)
    } finally {
      await srv.close(50)
    }
  })
})

// A full disk under -w through a capture process: a small tmpfs this test
// mounts (and unmounts), calls until the program cannot write.
describe.runIf(isRoot).each(['dumpcap', 'tcpdump'] as const)('-w onto a full disk through %s', (backend) => {
  it('ends the file with a whole record and says how many packets it holds', async () => {
    const mnt = join(tmp, `small-disk-${backend}`)
    mkdirSync(mnt)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'rpcdiag-test', mnt])
    const srv = await server()
    try {
      const file = join(mnt, 'full.pcap')
      const r = await runSniff({
        capture: {backend, interface: 'lo', ports: [String(srv.address.port)]},
        write: file,
        processes: false,
        output: () => ({event: () => {}}),
      })
      if (!r.ok) throw r.error
      expect(r.value.source.writesTo).toBe(file)
      // 2 KiB calls: 64 KiB is full after a few dozen; at most 400 of them.
      for (let i = 0; i < 400 && r.value.source.end === undefined && statSync(file).size < 60_000; i++) await callWith(srv.address.port, 'y'.repeat(2048))
      for (let i = 0; i < 100 && r.value.source.end === undefined; i++) await callWith(srv.address.port, 'y'.repeat(2048))
      await r.value.stop()
      const {error} = await r.value.done
      expect(error?.code).toBe('WRITE_FAILED')
      const held = Number(/the first (\d+) packet/.exec(error!.message)?.[1])
      expect(held).toBeGreaterThan(0)
      // tcpdump exits non-zero on a file that ends inside a record.
      const lines = execFileSync('tcpdump', ['-nr', file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim().split('\n')
      expect(lines.length).toBe(held)
    } finally {
      await srv.close(50)
      execFileSync('umount', ['-l', mnt])
    }
  })
})

describe.runIf(isRoot).each(['dumpcap', 'tcpdump'] as const)('a live capture through %s, whose program hands packets over in blocks', (backend) => {
  it('does not call a request unanswered while its reply waits in the block: the clock ticks behind the packets', async () => {
    // A reply at 150 ms and a --timeout of 400 ms: the capture program may hold
    // both packets for up to its buffer timeout (1 s), far past the timeout by
    // the wall clock. Ticks at wall time expired such requests (unanswered,
    // then the reply a late one); the capture's own times say it was answered.
    const r0 = await startServer({schema: order, faults: {delayMs: 150}})
    if (!r0.ok) throw r0.error
    const srv = r0.value
    try {
      const events: SniffEvent[] = []
      const r = await runSniff({
        capture: {backend, interface: 'lo', ports: [String(srv.address.port)]},
        session: {timeoutMs: 400},
        processes: false,
        output: () => ({event: (e) => events.push(e)}),
      })
      if (!r.ok) throw r.error
      for (let i = 0; i < 3; i++) {
        expect((await callWith(srv.address.port, `g${i}`)).status).toBe('ok')
        // Quiet between calls, so each waits alone in the program's buffer.
        await new Promise((res) => setTimeout(res, 700))
      }
      await until(() => r.value.session.stats.counters.responses >= 3, 5000)
      await new Promise((res) => setTimeout(res, 600))
      await r.value.stop()
      const {summary} = await r.value.done
      expect(events.filter((e) => e.type === 'unanswered')).toEqual([])
      expect(summary).toMatchObject({requests: 3, paired: 3, unanswered: 0})
    } finally {
      await srv.close(100)
    }
  }, 30_000)
})
