import {NO_OWNERS} from './owners.js'
import {cachedAddressDecoder} from './proc-addr.js'
import {stateFromKernel} from './states.js'
import type {InetProtocol, IpFamily, SocketRow, SocketState} from './types.js'

/**
 * One line of /proc/net/tcp, tcp6, udp or udp6 (net/ipv4/tcp_ipv4.c
 * get_tcp4_sock, net/ipv4/udp.c udp4_format_sock). The columns this reads:
 *
 *   sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode
 *   0: 0100007F:3039 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23456
 *
 * tx_queue is write_seq - snd_una for TCP (bytes not yet acknowledged), the
 * send buffer memory for UDP. rx_queue is rcv_nxt - copied_seq for TCP (bytes
 * not yet read), the accept queue length on a listener, the receive buffer
 * memory for UDP. All of them are hex: rx_queue is the row's recvQ, tx_queue
 * its sendQ.
 *
 * Each socket comes as the row it becomes, in its key order (SocketRow, what
 * --json prints), its owner fields empty: collectSockets fills them in
 * place. A second object per socket, copied from the first, was 30,000 more
 * objects promoted to the old generation with 30,000 sockets open.
 */
export type ProcNetSocket = {-readonly [K in keyof SocketRow]: SocketRow[K]}

/** A table's socket, its owner not looked for yet. */
export function tableSocket(
  protocol: InetProtocol,
  family: IpFamily,
  state: SocketState,
  localAddress: string,
  localPort: number,
  peerAddress: string,
  peerPort: number,
  recvQ: number,
  sendQ: number,
  inode: number,
  uid: number,
): ProcNetSocket {
  return {protocol, family, state, localAddress, localPort, peerAddress, peerPort, recvQ, sendQ, inode, uid, pid: null, process: null, owners: NO_OWNERS, pidMissing: null}
}

export interface ProcNetLineError {
  /** 1-based line number in the file (line 1 is the header). */
  readonly line: number
  readonly reason: string
  readonly text: string
}

export interface ProcNetParse {
  readonly sockets: ProcNetSocket[]
  readonly errors: ProcNetLineError[]
}

const decodeAddress = cachedAddressDecoder()

const COLON = 58 // ':'
const SPACE = 32 // ' '
const NEWLINE = 10 // '\n'
const IPV4_HEX_DIGITS = 8
const EMPTY = new Uint8Array(0)

/** The value of one hex digit, or -1. */
function hexDigit(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1
}

/**
 * A cursor over the bytes of one line. Parsing reads the file's bytes in
 * place: a table of 20,000 sockets is 3 MB, and turning it into a string,
 * then slicing every column, cost more than the kernel took to produce it.
 */
class LineCursor {
  pos = 0
  end = 0
  /** What endpoint() read. */
  address = ''
  port = 0
  /** IPv4 addresses by the 32-bit word the kernel printed: no string is made to look one up. */
  private readonly ipv4 = new Map<number, string | undefined>()

  /** The bytes being read: a piece of the file, reused for the next piece. */
  bytes: Uint8Array = EMPTY

  skipSpaces(): void {
    while (this.pos < this.end && this.bytes[this.pos] === SPACE) this.pos++
  }

  /** Hex digits up to (not including) stop; NaN when there are none, more than 8, or another character comes first. */
  hex(stop: number): number {
    const from = this.pos
    let n = 0
    while (this.pos < this.end) {
      const c = this.bytes[this.pos]
      if (c === stop) break
      const d = hexDigit(c)
      if (d < 0) return Number.NaN
      n = n * 16 + d
      this.pos++
    }
    return this.pos > from && this.pos - from <= 8 ? n : Number.NaN
  }

  /** Decimal digits up to a space or the end of the line. */
  dec(): number {
    this.skipSpaces()
    const from = this.pos
    let n = 0
    while (this.pos < this.end) {
      const c = this.bytes[this.pos]
      if (c === SPACE) break
      if (c < 48 || c > 57) return Number.NaN
      n = n * 10 + (c - 48)
      this.pos++
    }
    return this.pos > from ? n : Number.NaN
  }

  /** Skip one column. */
  skipField(): void {
    this.skipSpaces()
    while (this.pos < this.end && this.bytes[this.pos] !== SPACE) this.pos++
  }

  /** "ADDR:PORT" into address and port; false when it does not parse. */
  endpoint(): boolean {
    this.skipSpaces()
    const from = this.pos
    let word = 0
    let hex = true
    while (this.pos < this.end && this.bytes[this.pos] !== COLON) {
      // Exact for the 8 digits of IPv4; IPv6's 32 overflow it and go by their text.
      const d = hexDigit(this.bytes[this.pos])
      if (d < 0) hex = false
      word = word * 16 + d
      this.pos++
    }
    let address: string | undefined
    if (this.pos - from === IPV4_HEX_DIGITS && hex) {
      address = this.ipv4.get(word)
      if (address === undefined && !this.ipv4.has(word)) {
        address = decodeAddress(latin1(this.bytes, from, this.pos))
        this.ipv4.set(word, address)
      }
    } else address = decodeAddress(latin1(this.bytes, from, this.pos))
    this.pos++
    const port = this.hex(SPACE)
    if (address === undefined || Number.isNaN(port)) return false
    this.address = address
    this.port = port
    return true
  }
}

function latin1(bytes: Uint8Array, from: number, to: number): string {
  // Short fields: String.fromCharCode beats a Buffer round trip.
  let s = ''
  for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i])
  return s
}

/**
 * Parse one /proc/net/{tcp,tcp6,udp,udp6} file, as bytes (what readFileSync
 * returns) or text. Never throws: a line that does not fit is reported in
 * `errors` and the others are kept.
 */
export function parseProcNet(input: Uint8Array | string, protocol: InetProtocol, family: IpFamily): ProcNetParse {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input
  const parser = new ProcNetParser(protocol, family)
  parser.lines(bytes, bytes.length)
  return parser
}

/**
 * The same parse, fed the file a piece at a time (ProcReader.readLines): a
 * table of 30,000 sockets is 4.5 MB, and a buffer grown to hold it whole
 * touched 12 MB of fresh memory, ~40 ms on this machine (13 us a 4 KB page).
 * Each piece is whole lines; the first line of the first piece is the header.
 */
export class ProcNetParser implements ProcNetParse {
  readonly sockets: ProcNetSocket[] = []
  readonly errors: ProcNetLineError[] = []
  /** The lines seen so far (the header included). */
  private lineNo = 0
  private readonly c = new LineCursor()

  constructor(
    private readonly protocol: InetProtocol,
    private readonly family: IpFamily,
  ) {}

  /** The lines in bytes[0, length): whole lines, the last one ending at length with or without its newline. */
  lines(bytes: Uint8Array, length: number): void {
    const {c, sockets, errors, protocol, family} = this
    c.bytes = bytes
    let start = 0
    if (this.lineNo === 0) {
      // Line 1 is the column header.
      start = bytes.indexOf(NEWLINE) + 1
      if (start === 0 || start > length) return
      this.lineNo = 1
    }
    while (start < length) {
      const lineNo = ++this.lineNo
      let end = bytes.indexOf(NEWLINE, start)
      if (end < 0 || end > length) end = length
      c.pos = start
      c.end = end
      const lineStart = start
      start = end + 1
      c.skipSpaces()
      if (c.pos === end) continue
      // sl, then "local rem st tx:rx tr:when retrnsmt uid timeout inode"
      while (c.pos < end && bytes[c.pos] !== COLON) c.pos++
      c.pos++
      if (!c.endpoint()) {
        errors.push({line: lineNo, reason: 'bad address', text: latin1(bytes, lineStart, end)})
        continue
      }
      const localAddress = c.address
      const localPort = c.port
      if (!c.endpoint()) {
        errors.push({line: lineNo, reason: 'bad address', text: latin1(bytes, lineStart, end)})
        continue
      }
      c.skipSpaces()
      const stateCode = c.hex(SPACE)
      c.skipSpaces()
      const txQueue = c.hex(COLON)
      c.pos++
      const rxQueue = c.hex(SPACE)
      c.skipField() // tr:tm->when
      c.skipField() // retrnsmt
      const uid = c.dec()
      c.skipField() // timeout (may be negative)
      const inode = c.dec()
      if (Number.isNaN(stateCode) || Number.isNaN(txQueue) || Number.isNaN(rxQueue) || Number.isNaN(uid) || Number.isNaN(inode)) {
        errors.push({line: lineNo, reason: 'bad number', text: latin1(bytes, lineStart, end)})
        continue
      }
      sockets.push(tableSocket(protocol, family, stateFromKernel(stateCode, protocol), localAddress, localPort, c.address, c.port, rxQueue, txQueue, inode, uid))
    }
  }
}
