import {createSocket, type Socket as UdpSocket} from 'node:dgram'
import {readFileSync, rmSync} from 'node:fs'
import {connect, createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {Chalk} from 'chalk'

import {renderListenerGroups, renderSocketsReport} from '../../src/render/index.js'
import {
  buildReport,
  collectSockets,
  diffSockets,
  openSockDiag,
  groupByListener,
  type SocketRow,
  SocketIndex,
  summarizeSockets,
} from '../../src/sockets/index.js'
import {openLibc} from '../../src/net/libc.js'
import {collectUntil, find, listen, OWN_COMM, type Peer, spawnPeer, timeWaitConnections} from './helpers.js'

// One scene of real sockets on 127.0.0.1, built once: this process and child
// processes ("sockpeer") drive connections into the states rpcdiag must
// explain, then the tests read the kernel's own tables.
const me = process.pid
const peers: Peer[] = []
const clients: Socket[] = []
let reading: Server & {port: number} // reads, never closes: CLOSE-WAIT after the peer's FIN
let closing: Server & {port: number} // closes after the peer: the peer ends in TIME-WAIT
let deaf: Server & {port: number} // never reads: Recv-Q grows
let unixServer: Server
let established: Peer
let halfClosed: Peer
let writer: Peer
let sink: Peer
let blocked: Peer
let unixPeer: Peer
let timeWaitPorts: number[]
let udpBound: UdpSocket
let udpConnected: UdpSocket
let udpPort: number
let v6: (Server & {port: number}) | undefined
const unixPath = join(tmpdir(), `rpcdiag-sockets-${me}.sock`)
const unixPeerPath = join(tmpdir(), `rpcdiag-sockets-${me}-peer.sock`)
const RECV_BYTES = 32_768

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({host: '127.0.0.1', port}, () => resolve(s))
    s.once('error', reject)
    clients.push(s)
  })
}

beforeAll(async () => {
  reading = await listen({allowHalfOpen: true})
  closing = await listen()
  deaf = await listen({pauseOnConnect: true})
  established = await spawnPeer(['connect', String(reading.port)])
  halfClosed = await spawnPeer(['connect', String(reading.port), 'count=5', 'end'])
  writer = await spawnPeer(['connect', String(deaf.port), `write=${RECV_BYTES}`])
  sink = await spawnPeer(['listen', 'noread'])
  blocked = await spawnPeer(['listen', 'backlog=1', 'block'])
  unixPeer = await spawnPeer(['unix', unixPeerPath])
  peers.push(established, halfClosed, writer, sink, blocked, unixPeer)
  timeWaitPorts = await timeWaitConnections(closing.port, 20)

  // A peer that never reads: our Send-Q grows once its receive buffer is full.
  const toSink = await open(sink.info.port!)
  toSink.write(Buffer.alloc(8 * 1024 * 1024, 0x62))
  // A listener that never accepts, backlog 1: its accept queue fills.
  for (let i = 0; i < 4; i++) {
    const s = connect({host: '127.0.0.1', port: blocked.info.port!})
    s.on('error', () => {})
    clients.push(s)
  }

  udpBound = createSocket('udp4')
  await new Promise<void>((r) => udpBound.bind(0, '127.0.0.1', () => r()))
  udpPort = udpBound.address().port
  udpConnected = createSocket('udp4')
  await new Promise<void>((r) => udpConnected.connect(udpPort, '127.0.0.1', () => r()))

  rmSync(unixPath, {force: true})
  unixServer = await new Promise<Server>((resolve) => {
    const server = createServer()
    server.listen(unixPath, () => resolve(server))
  })
  v6 = await listen({}, undefined, '::1').catch(() => undefined)
})

afterAll(async () => {
  for (const c of clients) c.destroy()
  await Promise.all(peers.map((p) => p.stop()))
  udpBound?.close()
  udpConnected?.close()
  for (const s of [reading, closing, deaf, unixServer, v6]) s?.close()
  rmSync(unixPath, {force: true})
  rmSync(unixPeerPath, {force: true})
})

const tcpOnly = (rows: readonly SocketRow[]) => rows.filter((r) => r.protocol === 'tcp')

describe('states, pids and processes from the kernel tables', () => {
  it('finds both ends of an ESTABLISHED connection with their own pid and process name', async () => {
    const clientPort = established.info.localPorts![0]
    const t = await collectSockets({filter: {ports: [{from: reading.port, to: reading.port}]}})
    const server = find(t.sockets, reading.port, clientPort)!
    const client = find(t.sockets, clientPort, reading.port)!
    expect(server).toMatchObject({protocol: 'tcp', family: 4, state: 'ESTABLISHED', pid: me, process: OWN_COMM, uid: process.getuid!(), pidMissing: null})
    expect(client).toMatchObject({state: 'ESTABLISHED', pid: established.child.pid, process: 'sockpeer', pidMissing: null})
    expect(server.inode).toBeGreaterThan(0)
    expect(client.owners).toEqual([{pid: established.child.pid, process: 'sockpeer', fd: expect.any(Number)}])
    // process.title rewrites the peer's argv, so its command line is its title; ours is intact.
    expect(t.processes.get(established.child.pid!)?.command).toBe('sockpeer')
    expect(t.processes.get(me)?.command).toBe(readFileSync('/proc/self/cmdline', 'utf8').replace(/\0+$/, '').replaceAll('\0', ' '))
  })

  it('shows CLOSE-WAIT on the server that never closes and FIN-WAIT-2 on the peer that did', async () => {
    const ports = halfClosed.info.localPorts!
    const t = await collectUntil({filter: {ports: [{from: reading.port, to: reading.port}]}}, (x) =>
      ports.every((p) => find(x.sockets, reading.port, p)?.state === 'CLOSE-WAIT'),
    )
    for (const p of ports) {
      expect(find(t.sockets, reading.port, p)).toMatchObject({state: 'CLOSE-WAIT', pid: me, process: OWN_COMM})
      expect(find(t.sockets, p, reading.port)).toMatchObject({state: 'FIN-WAIT-2', pid: halfClosed.child.pid, process: 'sockpeer'})
    }
    const report = buildReport(t, {})
    const w = report.warnings.find((d) => d.code === 'CLOSE_WAIT_PILEUP')
    expect(w).toMatchObject({severity: 'warning', count: 5, endpoint: `127.0.0.1:${reading.port}`, pid: me, process: OWN_COMM})
    expect(w!.message).toContain('rocket')
  })

  it('shows TIME-WAIT on the side that closed first, owned by the kernel', async () => {
    const t = await collectUntil({filter: {states: new Set(['TIME-WAIT'])}}, (x) => timeWaitPorts.every((p) => find(x.sockets, p, closing.port)))
    for (const p of timeWaitPorts) {
      expect(find(t.sockets, p, closing.port)).toMatchObject({state: 'TIME-WAIT', inode: 0, pid: null, process: null, owners: [], pidMissing: 'kernel'})
    }
    const w = buildReport(t, {states: new Set(['TIME-WAIT'])}).warnings.find((d) => d.code === 'TIME_WAIT_PILEUP' && d.endpoint === `127.0.0.1:${closing.port}`)
    expect(w?.count).toBeGreaterThanOrEqual(20)
    expect(w!.message).toContain('one connection per call')
  })

  it('reports the bytes a server has not read as its Recv-Q', async () => {
    const clientPort = writer.info.localPorts![0]
    const t = await collectUntil({filter: {ports: [{from: deaf.port, to: deaf.port}]}}, (x) => find(x.sockets, deaf.port, clientPort)?.recvQ === RECV_BYTES)
    expect(find(t.sockets, deaf.port, clientPort)).toMatchObject({state: 'ESTABLISHED', recvQ: RECV_BYTES, sendQ: 0, pid: me})
    expect(find(t.sockets, clientPort, deaf.port)).toMatchObject({recvQ: 0, sendQ: 0, pid: writer.child.pid})
    const w = buildReport(t, {}).warnings.find((d) => d.code === 'RECV_Q')
    expect(w).toMatchObject({pid: me, count: 1})
    expect(w!.message).toContain('not reading')
  })

  it('reports what a peer has not acknowledged as Send-Q and names the peer that is not reading', async () => {
    const port = sink.info.port!
    const t = await collectUntil(
      {filter: {ports: [{from: port, to: port}]}},
      (x) => (x.sockets.find((r) => r.peerPort === port && r.pid === me)?.sendQ ?? 0) >= 65_536,
    )
    const ours = t.sockets.find((r) => r.peerPort === port && r.pid === me)!
    const theirs = find(t.sockets, port, ours.localPort)!
    expect(ours.state).toBe('ESTABLISHED')
    expect(theirs).toMatchObject({pid: sink.child.pid, process: 'sockpeer'})
    expect(theirs.recvQ).toBeGreaterThan(0)
    const w = buildReport(t, {}).warnings.find((d) => d.code === 'SEND_Q')
    expect(w).toMatchObject({pid: me})
    expect(w!.message).toContain(`sockpeer (pid ${sink.child.pid})`)
  })

  it('shows a full accept queue on a listener that does not accept, with its backlog from ss', async () => {
    const port = blocked.info.port!
    const t = await collectUntil({filter: {ports: [{from: port, to: port}]}}, (x) => (find(x.sockets, port, 0)?.recvQ ?? 0) >= 2)
    const l = find(t.sockets, port, 0)!
    // backlog 1: the kernel queues backlog + 1 connections, then drops new SYNs.
    expect(l).toMatchObject({state: 'LISTEN', recvQ: 2, sendQ: 1, pid: blocked.child.pid, process: 'sockpeer'})
    expect(t.sockets.filter((r) => r.peerPort === port && r.state === 'SYN-SENT').length).toBeGreaterThan(0)
    const w = buildReport(t, {}).warnings.find((d) => d.code === 'ACCEPT_QUEUE_FULL')
    expect(w).toMatchObject({endpoint: `127.0.0.1:${port}`, pid: blocked.child.pid})
  })

  it('lists UDP sockets: a bound one as UNCONN, a connected one as ESTABLISHED', async () => {
    const t = await collectSockets({filter: {protocols: new Set(['udp']), ports: [{from: udpPort, to: udpPort}]}})
    expect(find(t.sockets, udpPort)).toMatchObject({protocol: 'udp', state: 'UNCONN', pid: me, peerPort: 0})
    expect(t.sockets.find((r) => r.peerPort === udpPort)).toMatchObject({protocol: 'udp', state: 'ESTABLISHED', pid: me})
  })

  it('lists Unix sockets with path, type, state, inode and owner', async () => {
    const t = await collectSockets({unix: true, inet: false})
    expect(t.sockets).toEqual([])
    expect(t.unix!.find((u) => u.path === unixPath)).toMatchObject({type: 'stream', state: 'LISTEN', pid: me, process: OWN_COMM, pidMissing: null})
    const theirs = t.unix!.find((u) => u.path === unixPeerPath)!
    expect(theirs).toMatchObject({state: 'LISTEN', pid: unixPeer.child.pid, process: 'sockpeer'})
    expect(theirs.inode).toBeGreaterThan(0)
  })
})

describe('the tables over netlink (sock_diag), as ss reads them', () => {
  const scenePorts = () => [reading.port, closing.port, deaf.port, sink.info.port!, blocked.info.port!, udpPort, ...(v6 ? [v6.port] : [])].map((p) => ({from: p, to: p}))
  const key = (r: SocketRow) => `${r.protocol}${r.family} ${r.localAddress}:${r.localPort} ${r.peerAddress}:${r.peerPort} ${r.inode}`

  it('dumps every table here, with each listener\'s backlog limit', async () => {
    const diag = openSockDiag(await openLibc())
    if (typeof diag === 'string') expect.fail(`no sock_diag here: ${diag}`)
    try {
      const tcp4 = diag.dump('tcp', 4)
      const udp4 = diag.dump('udp', 4)
      if (typeof tcp4 === 'string' || typeof udp4 === 'string') expect.fail(`dump refused: ${String(tcp4)} ${String(udp4)}`)
      const listener = tcp4.sockets.find((s) => s.localPort === blocked.info.port && s.state === 'LISTEN')!
      expect(listener).toMatchObject({localAddress: '127.0.0.1', peerAddress: '0.0.0.0', peerPort: 0, sendQ: 0})
      expect(tcp4.backlogs.get(listener.inode)).toBe(1)
      expect(tcp4.sockets.some((s) => s.localPort === closing.port && s.state === 'TIME-WAIT') || tcp4.sockets.some((s) => s.peerPort === closing.port && s.state === 'TIME-WAIT')).toBe(true)
      expect(udp4.sockets.find((s) => s.localPort === udpPort)).toMatchObject({state: 'UNCONN', localAddress: '127.0.0.1'})
      if (v6) {
        const tcp6 = diag.dump('tcp', 6)
        if (typeof tcp6 === 'string') expect.fail(`tcp6 dump refused: ${tcp6}`)
        expect(tcp6.sockets.find((s) => s.localPort === v6!.port)).toMatchObject({family: 6, state: 'LISTEN', localAddress: '::1', peerAddress: '::'})
      }
    } finally {
      diag.close()
    }
  })

  it('gives the same rows as /proc/net and ss: states, queues, backlogs, owners, v4 and v6, TCP and UDP', async () => {
    // The scene is still, but a socket may change between two reads: a few tries, each read both ways.
    let netlinkRows: SocketRow[] = []
    let procRows: SocketRow[] = []
    for (let attempt = 0; attempt < 5; attempt++) {
      const filter = {ports: scenePorts()}
      const viaNetlink = await collectSockets({filter})
      const viaProc = await collectSockets({filter, netlink: false})
      netlinkRows = [...viaNetlink.sockets, ...viaNetlink.listeners].sort((a, b) => key(a).localeCompare(key(b)))
      procRows = [...viaProc.sockets, ...viaProc.listeners].sort((a, b) => key(a).localeCompare(key(b)))
      if (JSON.stringify(netlinkRows) === JSON.stringify(procRows)) break
    }
    expect(netlinkRows).toEqual(procRows)
    const states = new Set(netlinkRows.map((r) => `${r.protocol} ${r.state}`))
    for (const st of ['tcp LISTEN', 'tcp ESTABLISHED', 'tcp CLOSE-WAIT', 'tcp TIME-WAIT', 'tcp SYN-SENT', 'udp UNCONN', 'udp ESTABLISHED']) expect(states).toContain(st)
    expect(netlinkRows.find((r) => r.state === 'LISTEN' && r.localPort === blocked.info.port)).toMatchObject({sendQ: 1})
  })
})

describe('filters on the live table', () => {
  it('--port keeps sockets whose local or peer port matches, both ends of each connection', async () => {
    const t = await collectSockets({filter: {ports: [{from: reading.port, to: reading.port}]}})
    expect(t.sockets.length).toBe(1 + 2 * 6)
    for (const r of t.sockets) expect(r.localPort === reading.port || r.peerPort === reading.port).toBe(true)
    const range = await collectSockets({filter: {ports: [{from: reading.port - 1, to: reading.port + 1}]}})
    expect(range.sockets.length).toBeGreaterThanOrEqual(t.sockets.length)
  })

  it('--state keeps only those states', async () => {
    const t = await collectSockets({filter: {states: new Set(['CLOSE-WAIT', 'FIN-WAIT-2'])}})
    expect(new Set(t.sockets.map((r) => r.state))).toEqual(new Set(['CLOSE-WAIT', 'FIN-WAIT-2']))
    expect(t.sockets.filter((r) => r.localPort === reading.port).length).toBe(5)
  })

  it('--pid keeps the sockets of that process', async () => {
    const t = await collectSockets({filter: {pids: new Set([halfClosed.child.pid!])}})
    expect(t.sockets.length).toBe(5)
    for (const r of t.sockets) expect(r).toMatchObject({pid: halfClosed.child.pid, state: 'FIN-WAIT-2', peerPort: reading.port})
  })

  it('--process matches the process name', async () => {
    const t = await collectSockets({filter: {processes: ['sockpe']}})
    const pids = new Set(t.sockets.map((r) => r.pid))
    for (const p of [established, halfClosed, writer, sink, blocked]) expect(pids.has(p.child.pid!)).toBe(true)
    expect(pids.has(me)).toBe(false)
    const none = await collectSockets({filter: {processes: ['no-such-process-name']}})
    expect(none.sockets).toEqual([])
  })

  it('--listen keeps TCP listeners and unconnected UDP sockets', async () => {
    const t = await collectSockets({filter: {listen: true}})
    expect(new Set(t.sockets.map((r) => r.state))).toEqual(new Set(['LISTEN', 'UNCONN']))
    for (const port of [reading.port, closing.port, deaf.port, sink.info.port!, blocked.info.port!]) expect(find(t.sockets, port, 0)).toBeDefined()
    expect(find(t.sockets, udpPort)).toBeDefined()
  })

  it('--tcp and --udp keep one protocol', async () => {
    const tcp = await collectSockets({filter: {protocols: new Set(['tcp'])}})
    const udp = await collectSockets({filter: {protocols: new Set(['udp'])}})
    expect(new Set(tcp.sockets.map((r) => r.protocol))).toEqual(new Set(['tcp']))
    expect(new Set(udp.sockets.map((r) => r.protocol))).toEqual(new Set(['udp']))
    expect(find(udp.sockets, udpPort)).toBeDefined()
  })

  it('-4 and -6 keep one address family', async () => {
    const four = await collectSockets({filter: {families: new Set([4])}})
    expect(four.sockets.every((r) => r.family === 4)).toBe(true)
    expect(find(four.sockets, reading.port, 0)).toBeDefined()
    const six = await collectSockets({filter: {families: new Set([6])}})
    expect(six.sockets.every((r) => r.family === 6)).toBe(true)
    // Without IPv6 on this kernel (no ::1) there is nothing to find on that side.
    if (v6 !== undefined) expect(find(six.sockets, v6.port, 0)).toMatchObject({localAddress: '::1', state: 'LISTEN', pid: me})
  })
})

describe('joins over the table', () => {
  it('summarises states like ss -s', async () => {
    const t = await collectUntil({filter: {ports: [{from: reading.port, to: reading.port}]}}, (x) => x.sockets.filter((r) => r.state === 'CLOSE-WAIT').length === 5)
    const s = summarizeSockets(t.sockets)
    expect(s.tcp.states).toEqual({LISTEN: 1, ESTABLISHED: 2, 'FIN-WAIT-2': 5, 'CLOSE-WAIT': 5})
    expect(s).toMatchObject({total: 13, udp: {total: 0}, pidMissing: {kernel: 0, permission: 0, unseen: 0}})
  })

  it('groups a server port by listener with both ends of each connection', async () => {
    const t = await collectSockets({filter: {ports: [{from: reading.port, to: reading.port}]}})
    const [g] = groupByListener(t, new Map([[reading.port, '--port']]))
    expect(g.listener).toMatchObject({endpoint: `127.0.0.1:${reading.port}`, pid: me, acceptQueue: 0, backlog: 511})
    expect(g.connections.length).toBe(6)
    expect(g.states).toEqual({ESTABLISHED: 1, 'CLOSE-WAIT': 5})
    for (const c of g.connections) expect(c.server?.pid).toBe(me)
    expect(g.clients).toEqual([
      {pid: halfClosed.child.pid, process: 'sockpeer', connections: 5},
      {pid: established.child.pid, process: 'sockpeer', connections: 1},
    ])
  })

  it('renders the TinyPB view and the warnings in words', async () => {
    const plain = new Chalk({level: 0})
    const t = await collectSockets({filter: {ports: [{from: reading.port, to: reading.port}]}})
    const groups = groupByListener(t, new Map([[reading.port, '--port']]))
    const lines = renderListenerGroups(groups, plain)
    expect(lines[0]).toBe(`TinyPB server 127.0.0.1:${reading.port}  ${me}/${OWN_COMM}  accept queue 0 (backlog 511)  [port named with --port]`)
    expect(lines[1]).toBe('  6 connections, server side: ESTABLISHED 1, CLOSE-WAIT 5; server unread 0 B (Recv-Q), unacknowledged 0 B (Send-Q)')
    expect(lines.filter((l) => /CLOSE-WAIT\s+0\s+0\s+FIN-WAIT-2\s+0\s+0\s+\d+\/sockpeer$/.test(l)).length).toBe(5)
    const report = renderSocketsReport(buildReport(t, {ports: [{from: reading.port, to: reading.port}]}), plain).join('\n')
    expect(report).toContain(`warning: 5 connections in CLOSE-WAIT on local port ${reading.port}, served by ${OWN_COMM} (pid ${me})`)
    expect(report).toContain('TCP 13 (IPv4 13, IPv6 0): LISTEN 1, ESTABLISHED 2, FIN-WAIT-2 5, CLOSE-WAIT 5')
  })

  it('names the process at each end of a flow seen on the wire (for sniff)', async () => {
    const clientPort = established.info.localPorts![0]
    const t = await collectSockets({filter: {ports: [{from: reading.port, to: reading.port}]}})
    const flow = new SocketIndex([...t.sockets, ...t.listeners]).flow({host: '127.0.0.1', port: clientPort}, {host: '127.0.0.1', port: reading.port})
    expect(flow.src).toMatchObject({pid: established.child.pid, process: 'sockpeer'})
    expect(flow.dst).toMatchObject({pid: me})
    expect(flow.listener).toMatchObject({state: 'LISTEN', localPort: reading.port})
  })

  it('diffs two snapshots: a new connection, then its state change to TIME-WAIT', async () => {
    const filter = {ports: [{from: closing.port, to: closing.port}]}
    const before = await collectSockets({filter})
    const s = await open(closing.port)
    const local = s.localPort!
    const during = await collectUntil({filter}, (x) => find(x.sockets, closing.port, local)?.state === 'ESTABLISHED')
    const added = diffSockets(before.sockets, during.sockets)
    expect(added.filter((c) => c.kind === 'new').map((c) => [c.row.localPort, c.row.state]).sort()).toEqual(
      [
        [closing.port, 'ESTABLISHED'],
        [local, 'ESTABLISHED'],
      ].sort(),
    )
    s.end()
    s.resume()
    const after = await collectUntil({filter}, (x) => find(x.sockets, local, closing.port)?.state === 'TIME-WAIT' && !find(x.sockets, closing.port, local))
    const changed = diffSockets(during.sockets, after.sockets)
    expect(changed).toContainEqual({kind: 'state', from: 'ESTABLISHED', row: expect.objectContaining({localPort: local, state: 'TIME-WAIT'})})
    expect(changed).toContainEqual({kind: 'closed', row: expect.objectContaining({localPort: closing.port, peerPort: local})})
  })

  it('falls back to systeminformation (no /proc/net): same connections, no queues', async () => {
    const filter = {ports: [{from: reading.port, to: reading.port}]}
    const t = await collectSockets({filter, source: 'systeminformation'})
    expect(t.source).toBe('systeminformation')
    const clientPort = established.info.localPorts![0]
    expect(find(t.sockets, reading.port, clientPort)).toMatchObject({state: 'ESTABLISHED', pid: me, recvQ: null, sendQ: null})
    expect(find(t.sockets, clientPort, reading.port)).toMatchObject({state: 'ESTABLISHED', pid: established.child.pid})
    expect(t.sockets.filter((r) => r.state === 'CLOSE-WAIT').length).toBe(5)
    expect(t.notes.join(' ')).toContain('no Send-Q/Recv-Q')
  })

  it('keeps every row of the whole table and says why a pid is missing', async () => {
    const t = await collectSockets({})
    for (const r of tcpOnly(t.sockets)) {
      if (r.pid === null) expect(r.pidMissing).not.toBeNull()
      else expect(r.owners.map((o) => o.pid)).toContain(r.pid)
    }
    expect(t.listeners.every((l) => l.state === 'LISTEN' && l.protocol === 'tcp')).toBe(true)
  })
})
