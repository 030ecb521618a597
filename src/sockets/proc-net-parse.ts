import {cachedAddressDecoder} from './proc-addr.js'
import {stateFromKernel} from './states.js'
import type {InetProtocol, IpFamily, SocketState} from './types.js'

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
 * memory for UDP. All of them are hex.
 */
export interface ProcNetSocket {
  readonly protocol: InetProtocol
  readonly family: IpFamily
  readonly state: SocketState
  readonly localAddress: string
  readonly localPort: number
  readonly peerAddress: string
  readonly peerPort: number
  readonly txQueue: number
  readonly rxQueue: number
  readonly uid: number
  readonly inode: number
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

/**
 * A cursor over one line. Parsing reads character codes in place rather than
 * splitting: a table of 20,000 sockets is 3 MB of text, and slicing every
 * column cost more than reading the file.
 */
class LineCursor {
  pos = 0
  end = 0
  constructor(readonly text: string) {}

  skipSpaces(): void {
    while (this.pos < this.end && this.text.charCodeAt(this.pos) === 32) this.pos++
  }

  /** Hex digits up to (not including) stop; NaN when there are none or another character comes first. */
  hex(stop: number): number {
    const from = this.pos
    let n = 0
    while (this.pos < this.end) {
      const c = this.text.charCodeAt(this.pos)
      if (c === stop) break
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1
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
      const c = this.text.charCodeAt(this.pos)
      if (c === 32) break
      if (c < 48 || c > 57) return Number.NaN
      n = n * 10 + (c - 48)
      this.pos++
    }
    return this.pos > from ? n : Number.NaN
  }

  /** Skip one column. */
  skipField(): void {
    this.skipSpaces()
    while (this.pos < this.end && this.text.charCodeAt(this.pos) !== 32) this.pos++
  }

  /** "ADDR:PORT": the address text and the port, or undefined. */
  endpoint(): [string, number] | undefined {
    this.skipSpaces()
    const from = this.pos
    while (this.pos < this.end && this.text.charCodeAt(this.pos) !== COLON) this.pos++
    const address = decodeAddress(this.text.slice(from, this.pos))
    this.pos++
    const port = this.hex(SPACE)
    return address === undefined || Number.isNaN(port) ? undefined : [address, port]
  }
}

const COLON = 58 // ':'
const SPACE = 32 // ' '

/**
 * Parse the text of one /proc/net/{tcp,tcp6,udp,udp6} file. Never throws: a
 * line that does not fit is reported in `errors` and the others are kept.
 */
export function parseProcNet(text: string, protocol: InetProtocol, family: IpFamily): ProcNetParse {
  const sockets: ProcNetSocket[] = []
  const errors: ProcNetLineError[] = []
  const c = new LineCursor(text)
  let lineNo = 1
  // Line 1 is the column header.
  let start = text.indexOf('\n') + 1
  if (start === 0) return {sockets, errors}
  while (start < text.length) {
    lineNo++
    let end = text.indexOf('\n', start)
    if (end < 0) end = text.length
    c.pos = start
    c.end = end
    const lineStart = start
    start = end + 1
    c.skipSpaces()
    if (c.pos === end) continue
    // sl, then "local rem st tx:rx tr:when retrnsmt uid timeout inode"
    while (c.pos < end && text.charCodeAt(c.pos) !== COLON) c.pos++
    c.pos++
    const local = c.endpoint()
    const peer = c.endpoint()
    if (local === undefined || peer === undefined) {
      errors.push({line: lineNo, reason: 'bad address', text: text.slice(lineStart, end)})
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
      errors.push({line: lineNo, reason: 'bad number', text: text.slice(lineStart, end)})
      continue
    }
    sockets.push({
      protocol,
      family,
      state: stateFromKernel(stateCode, protocol),
      localAddress: local[0],
      localPort: local[1],
      peerAddress: peer[0],
      peerPort: peer[1],
      txQueue,
      rxQueue,
      uid,
      inode,
    })
  }
  return {sockets, errors}
}
