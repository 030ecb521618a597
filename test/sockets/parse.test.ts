import fc from 'fast-check'
import {formatIpv6} from '../../decoders/packet/ip-address.js'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {withWatchDefault} from '../../src/cli/sockets-argv.js'
import {
  decodeProcAddress,
  formatEndpoint,
  parseProcNet,
  ProcNetParser,
  ProcReader,
  parseProcUnix,
  parseSocketFilter,
  parseSsListeners,
  parseStateName,
  procHexToBytes,
  STATE_FILTER_NAMES,
  stateFromKernel,
  tinypbGroupPorts,
  unmapIpv4,
} from '../../src/sockets/index.js'

/** The hex the kernel prints for an address on a little-endian machine: each 32-bit word byte-reversed. */
function procHex(bytes: readonly number[]): string {
  let out = ''
  for (let w = 0; w < bytes.length; w += 4) {
    for (const b of bytes.slice(w, w + 4).reverse()) out += b.toString(16).padStart(2, '0').toUpperCase()
  }
  return out
}

// Lines in the exact layout of net/ipv4/tcp_ipv4.c get_tcp4_sock (kernel 6.x):
// a listener on 127.0.0.1:12345 (0x3039) with 2 connections in its accept
// queue, an established connection with 5 unread and 7 unacknowledged bytes,
// and a TIME-WAIT leftover (inode 0, printed by get_timewait4_sock).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:3039 00000000:0000 0A 00000000:00000002 00:00000000 00000000  1000        0 23456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:3039 0100007F:C8A2 01 00000007:00000005 00:00000000 00000000  1000        0 23457 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:C8A4 0100007F:3039 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
`

const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D431 08 00000000:00000000 00:00000000 00000000    33        0 778 1 0000000000000000 20 4 30 10 -1
`

const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:0044 00000000:0000 07 00000000:00000340 00:00000000 00000000     0        0 4242 2 0000000000000000 0
  101: 0100007F:A000 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 4243 2 0000000000000000 0
`

describe('/proc/net addresses', () => {
  it('decodes IPv4 words printed in host order', () => {
    expect(decodeProcAddress('0100007F', true)).toBe('127.0.0.1')
    expect(decodeProcAddress('7F000001', false)).toBe('127.0.0.1')
    expect(decodeProcAddress('00000000', true)).toBe('0.0.0.0')
    expect(decodeProcAddress('0101A8C0', true)).toBe('192.168.1.1')
  })

  it('decodes IPv6, loopback and IPv4-mapped', () => {
    expect(decodeProcAddress('00000000000000000000000001000000', true)).toBe('::1')
    expect(decodeProcAddress('00000000000000000000000000000000', true)).toBe('::')
    expect(decodeProcAddress('0000000000000000FFFF00000100007F', true)).toBe('::ffff:127.0.0.1')
    expect(decodeProcAddress('000080FE00000000FF0000020C0201FE', true)).toBe('fe80::200:ff:fe01:20c')
  })

  it('refuses malformed hex instead of guessing', () => {
    for (const bad of ['', '0100007', '0100007G', '0'.repeat(31), '0'.repeat(40)]) expect(decodeProcAddress(bad, true)).toBeUndefined()
  })

  it('writes IPv6 as RFC 5952 does (the WHATWG URL serializer agrees)', () => {
    const notMapped = fc
      .array(fc.oneof(fc.constant(0), fc.integer({min: 0, max: 255})), {minLength: 16, maxLength: 16})
      .filter((b) => !(b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff))
    fc.assert(
      fc.property(notMapped, (bytes) => {
        const full = Array.from({length: 8}, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16)).join(':')
        const canonical = new URL(`http://[${full}]/`).hostname.slice(1, -1)
        expect(formatIpv6(Uint8Array.from(bytes), 0)).toBe(canonical)
        expect(decodeProcAddress(procHex(bytes), true)).toBe(canonical)
        expect(procHexToBytes(procHex(bytes), true)).toEqual(bytes)
      }),
    )
  })

  it('prints endpoints like ss and maps IPv4-mapped addresses back', () => {
    expect(formatEndpoint('127.0.0.1', 12_345)).toBe('127.0.0.1:12345')
    expect(formatEndpoint('::1', 80)).toBe('[::1]:80')
    expect(formatEndpoint('0.0.0.0', 0)).toBe('0.0.0.0:*')
    expect(unmapIpv4('::ffff:10.0.0.1')).toBe('10.0.0.1')
    expect(unmapIpv4('::ffff:a00:1')).toBe('::ffff:a00:1')
  })
})

/** What a table's socket holds before collectSockets looks for its owner. */
const unowned = {pid: null, process: null, owners: [], pidMissing: null}

describe('parseProcNet', () => {
  it('reads states, queues, uid and inode of each TCP line', () => {
    const {sockets, errors} = parseProcNet(TCP, 'tcp', 4)
    expect(errors).toEqual([])
    expect(sockets).toEqual([
      {protocol: 'tcp', family: 4, state: 'LISTEN', localAddress: '127.0.0.1', localPort: 12_345, peerAddress: '0.0.0.0', peerPort: 0, recvQ: 2, sendQ: 0, inode: 23_456, uid: 1000, ...unowned},
      {protocol: 'tcp', family: 4, state: 'ESTABLISHED', localAddress: '127.0.0.1', localPort: 12_345, peerAddress: '127.0.0.1', peerPort: 51_362, recvQ: 5, sendQ: 7, inode: 23_457, uid: 1000, ...unowned},
      {protocol: 'tcp', family: 4, state: 'TIME-WAIT', localAddress: '127.0.0.1', localPort: 51_364, peerAddress: '127.0.0.1', peerPort: 12_345, recvQ: 0, sendQ: 0, inode: 0, uid: 0, ...unowned},
    ])
  })

  it('reads tcp6 lines, including a dual-stack listener and its IPv4 client', () => {
    const {sockets, errors} = parseProcNet(TCP6, 'tcp', 6)
    expect(errors).toEqual([])
    expect(sockets.map((s) => [s.state, s.localAddress, s.localPort, s.peerAddress, s.peerPort, s.uid])).toEqual([
      ['LISTEN', '::1', 8080, '::', 0, 0],
      ['CLOSE-WAIT', '::ffff:127.0.0.1', 8080, '::ffff:127.0.0.1', 54_321, 33],
    ])
  })

  it('calls an unconnected UDP socket UNCONN and a connected one ESTABLISHED', () => {
    const {sockets} = parseProcNet(UDP, 'udp', 4)
    expect(sockets.map((s) => [s.state, s.localPort, s.recvQ])).toEqual([
      ['UNCONN', 68, 0x340],
      ['ESTABLISHED', 40_960, 0],
    ])
  })

  it('maps every kernel state number', () => {
    const names = Array.from({length: 14}, (_, i) => stateFromKernel(i, 'tcp'))
    expect(names).toEqual([
      'UNKNOWN',
      'ESTABLISHED',
      'SYN-SENT',
      'SYN-RECV',
      'FIN-WAIT-1',
      'FIN-WAIT-2',
      'TIME-WAIT',
      'CLOSE',
      'CLOSE-WAIT',
      'LAST-ACK',
      'LISTEN',
      'CLOSING',
      'SYN-RECV',
      'UNKNOWN',
    ])
  })

  it('reports lines it cannot read and keeps the others', () => {
    const broken = TCP.replace('0100007F:C8A2', '0100007X:C8A2').replace('01 00000007:00000005', '01 00000007:00000005') + '   9: garbage\n'
    const {sockets, errors} = parseProcNet(broken, 'tcp', 4)
    expect(sockets.map((s) => s.inode)).toEqual([23_456, 0])
    expect(errors.map((e) => [e.line, e.reason])).toEqual([
      [3, 'bad address'],
      [5, 'bad address'],
    ])
  })

  it('a bad hex digit is a bad address even when its digits add up to an address seen before', () => {
    // 0x0100007 * 16 - 1 = 0x0100006F: a parser that summed digits blindly would find 111.0.0.1 cached.
    const lines = TCP.replace('0100007F:C8A4 0100007F:3039', '0100006F:C8A4 0100007X:3039')
    const {sockets, errors} = parseProcNet(lines, 'tcp', 4)
    expect(sockets.map((s) => s.inode)).toEqual([23_456, 23_457])
    expect(errors.map((e) => [e.line, e.reason])).toEqual([[4, 'bad address']])
  })

  it('never throws on a file cut at any byte, and never invents sockets', () => {
    for (let cut = 0; cut <= TCP.length; cut++) {
      const {sockets, errors} = parseProcNet(TCP.slice(0, cut), 'tcp', 4)
      expect(sockets.length + errors.length).toBeLessThanOrEqual(3)
      for (const s of sockets) expect(Number.isInteger(s.inode) && Number.isInteger(s.localPort)).toBe(true)
    }
  })

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({unit: fc.constantFrom(...'0123456789ABCDEF: \n-xZ'.split(''))}), (text) => {
        const r = parseProcNet(`header\n${text}`, 'tcp', 4)
        for (const s of r.sockets) expect(s.localPort).toBeLessThan(65_536 * 65_536)
      }),
    )
  })
})

describe('ProcReader.readLines and ProcNetParser: a table read a piece at a time', () => {
  // TCP with a bad line among good ones, a longer table, and one without its last newline.
  const long = [TCP.trimEnd(), ...Array.from({length: 40}, (_, i) => TCP.split('\n')[1].replace(/ 23456 /, ` ${30_000 + i} `))].join('\n')
  const files: Array<[string, string]> = [
    ['the sample', TCP],
    ['a bad line among them', TCP.replace('0100007F:C8A4 0100007F:3039', '0100006F:C8A4 0100007X:3039')],
    ['a longer table', `${long}\n`],
    ['no newline at the end', long],
    ['a header only', TCP.split('\n')[0]],
  ]
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rpcdiag-procread-'))
  })
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  for (const [name, text] of files) {
    it(`parses as the whole file does, with the buffer at every size: ${name}`, () => {
      const path = join(dir, 'tcp')
      writeFileSync(path, text, 'latin1')
      const whole = parseProcNet(text, 'tcp', 4)
      // Sizes from a few bytes (shorter than a line: the buffer grows) to more than the file.
      for (let size = 1; size <= text.length + 1; size += size < 200 ? 1 : 37) {
        const parser = new ProcNetParser('tcp', 4)
        const pieces: number[] = []
        const ok = new ProcReader(size).readLines(path, (bytes, length) => {
          pieces.push(length)
          // Each piece is whole lines: it ends at a newline or at the file's end.
          expect(bytes[length - 1] === 10 || pieces.reduce((a, b) => a + b, 0) === Buffer.byteLength(text, 'latin1')).toBe(true)
          parser.lines(bytes, length)
          bytes.fill(0x58, 0, length) // the next piece overwrites this one: nothing may keep it
        })
        expect(ok).toBe(true)
        expect({sockets: parser.sockets, errors: parser.errors}, `buffer of ${size}`).toEqual({sockets: whole.sockets, errors: whole.errors})
        if (size < text.length / 2 && whole.sockets.length > 3) expect(pieces.length).toBeGreaterThan(1)
      }
    })
  }

  it('says a file it cannot open cannot be read', () => {
    expect(new ProcReader().readLines(join(dir, 'missing'), () => expect.unreachable())).toBe(false)
  })
})

describe('parseProcUnix', () => {
  it('reads listeners, connected and unbound sockets, abstract names and paths with spaces', () => {
    const text = `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 23456 /run/app.sock
0000000000000000: 00000003 00000000 00000000 0001 03 23457 /run/app.sock
0000000000000000: 00000003 00000000 00000000 0001 03 23458
0000000000000000: 00000002 00000000 00000000 0002 01  9999 @/tmp/.X11-unix/X0
0000000000000000: 00000002 00000000 00010000 0005 01 31337 /tmp/my dir/seq sock
not a unix line
`
    const {sockets, errors} = parseProcUnix(text)
    expect(sockets).toEqual([
      {type: 'stream', state: 'LISTEN', path: '/run/app.sock', inode: 23_456},
      {type: 'stream', state: 'CONNECTED', path: '/run/app.sock', inode: 23_457},
      {type: 'stream', state: 'CONNECTED', path: null, inode: 23_458},
      {type: 'dgram', state: 'UNCONNECTED', path: '@/tmp/.X11-unix/X0', inode: 9999},
      {type: 'seqpacket', state: 'LISTEN', path: '/tmp/my dir/seq sock', inode: 31_337},
    ])
    expect(errors.map((e) => e.line)).toEqual([7])
  })
})

describe('listener backlogs from ss', () => {
  it('keys the Send-Q of each LISTEN line by inode', () => {
    const text = `LISTEN 0      128      0.0.0.0:2024  0.0.0.0:* ino:1512 sk:1 cgroup:/ <->
LISTEN 3      511    127.0.0.1:12345 0.0.0.0:* uid:1000 ino:15586 sk:3 cgroup:/ <->
LISTEN 0      4096      [::]:80        [::]:* ino:99 sk:4 v6only:1 <->
`
    expect([...parseSsListeners(text)]).toEqual([
      [1512, 128],
      [15_586, 511],
      [99, 4096],
    ])
  })
})

describe('filters', () => {
  it('accepts every documented state name and the spellings of ss, netstat and the kernel', () => {
    for (const name of STATE_FILTER_NAMES) expect(parseStateName(name).ok).toBe(true)
    const r = parseStateName('TIME_WAIT')
    expect(r.ok && r.value).toEqual(['TIME-WAIT'])
    const estab = parseStateName('estab')
    expect(estab.ok && estab.value).toEqual(['ESTABLISHED'])
    const closed = parseStateName('closed')
    expect(closed.ok && closed.value).toEqual(['CLOSE', 'UNCONN'])
    const wait = parseStateName('FIN_WAIT2')
    expect(wait.ok && wait.value).toEqual(['FIN-WAIT-2'])
  })

  it('rejects an unknown state with the list of valid ones', () => {
    const r = parseStateName('half-open')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('BAD_STATE')
    for (const name of STATE_FILTER_NAMES) expect(r.error.message).toContain(name)
  })

  it('parses ports and ranges, and says what is valid when a port is not', () => {
    const r = parseSocketFilter({port: ['12345', '8000-8100']})
    expect(r.ok && r.value.ports).toEqual([
      {from: 12_345, to: 12_345},
      {from: 8000, to: 8100},
    ])
    for (const bad of ['70000', '-1', 'abc', '', '10-5', '1-2-3', '65536']) {
      const e = parseSocketFilter({port: [bad]})
      expect(e.ok).toBe(false)
      if (!e.ok) {
        expect(e.error.code).toBe('BAD_PORT')
        expect(e.error.message).toContain('0 to 65535')
      }
    }
  })

  it('checks pids and process names', () => {
    const ok = parseSocketFilter({pid: ['1', '4321'], process: ['rocket']})
    expect(ok.ok && [...ok.value.pids!]).toEqual([1, 4321])
    for (const bad of ['0', 'abc', '-5', '99999999999']) {
      const e = parseSocketFilter({pid: [bad]})
      expect(!e.ok && e.error.code).toBe('BAD_PID')
    }
    const empty = parseSocketFilter({process: ['  ']})
    expect(!empty.ok && empty.error.code).toBe('BAD_PROCESS')
  })

  it('treats --tcp with --udp, and -4 with -6, as both', () => {
    const both = parseSocketFilter({tcp: true, udp: true, ipv4: true, ipv6: true})
    expect(both.ok && both.value).toEqual({})
    const one = parseSocketFilter({udp: true, ipv6: true, listen: true})
    expect(one.ok && [[...one.value.protocols!], [...one.value.families!], one.value.listen]).toEqual([['udp'], [6], true])
  })
})

describe('--watch without a value', () => {
  it('gets the default interval, and keeps a given one', () => {
    expect(withWatchDefault(['--watch'])).toEqual(['--watch', '2'])
    expect(withWatchDefault(['--watch', '--port', '80'])).toEqual(['--watch', '2', '--port', '80'])
    expect(withWatchDefault(['-w', '0.5', '-l'])).toEqual(['-w', '0.5', '-l'])
    expect(withWatchDefault(['--watch=3'])).toEqual(['--watch=3'])
  })
})

describe('TinyPB ports', () => {
  it('groups by the known ports, the --port values and RPCDIAG_TINYPB_PORTS', () => {
    expect([...tinypbGroupPorts({}, true, {})!.keys()]).toEqual([12_345, 39_999])
    expect([...tinypbGroupPorts({}, true, {RPCDIAG_TINYPB_PORTS: '8080, x, 99999'})!.keys()]).toEqual([12_345, 39_999, 8080])
    expect([...tinypbGroupPorts({ports: [{from: 7000, to: 7000}]}, true, {})!.keys()]).toEqual([7000])
    // A --port of a known TinyPB service turns grouping on by itself; others do not.
    expect([...tinypbGroupPorts({ports: [{from: 12_345, to: 12_345}]}, undefined, {})!.keys()]).toEqual([12_345])
    expect(tinypbGroupPorts({ports: [{from: 7000, to: 7000}]}, undefined, {})).toBeUndefined()
  })
})
