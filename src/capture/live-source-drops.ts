import {spawn} from 'node:child_process'
import {readdirSync, readlinkSync} from 'node:fs'

// cap does not expose pcap_stats(). The kernel keeps the capture ring's
// counters on the packet socket, readable only with getsockopt(SOL_PACKET,
// PACKET_STATISTICS) on its descriptor (the drop count in ss's skmem is
// sk_drops, which ring overflows do not touch). Node cannot call getsockopt,
// so a tiny perl (or python3) child inherits the descriptor as fd 3 and reads
// it. The kernel resets the counters on each read: the caller adds them up.
// cap itself never calls pcap_stats, so no reader is robbed of its counts.

/** SOL_PACKET and PACKET_STATISTICS from <linux/if_packet.h>. */
const SOL_PACKET = 263
const PACKET_STATISTICS = 6

/** The sockets this process has open: fd -> inode (Linux; empty elsewhere). */
export function openSockets(): Map<number, number> {
  const sockets = new Map<number, number>()
  let fds: string[]
  try {
    fds = readdirSync('/proc/self/fd')
  } catch {
    return sockets
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))
      if (m) sockets.set(Number(fd), Number(m[1]))
    } catch {
      // The fd closed while listing (readdir's own fd, for one).
    }
  }
  return sockets
}

export interface PacketSocketCounters {
  /** Packets the socket received since the last read (drops included). */
  readonly packets: number
  /** Packets dropped since the last read because the ring was full. */
  readonly drops: number
}

const PERL = `open(my $s, "+<&=", 3) or exit 2; my $v = getsockopt($s, ${SOL_PACKET}, ${PACKET_STATISTICS}) or exit 3; print join(" ", unpack("LL", $v)), "\\n"`
const PYTHON = `import socket,struct\ns=socket.socket(fileno=3)\nprint(*struct.unpack("II", s.getsockopt(${SOL_PACKET},${PACKET_STATISTICS},12)[:8]))\ns.detach()`

function readWith(cmd: string, args: string[], fd: number): Promise<PacketSocketCounters | undefined> {
  return new Promise((resolve) => {
    let out = ''
    const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'ignore', fd]})
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.on('error', () => resolve(undefined))
    child.on('close', (code) => {
      const m = /^(\d+) (\d+)$/.exec(out.trim())
      resolve(code === 0 && m ? {packets: Number(m[1]), drops: Number(m[2])} : undefined)
    })
  })
}

/** Read (and reset) the counters of the packet socket at fd; undefined when neither perl nor python3 can. */
export async function readPacketSocketCounters(fd: number): Promise<PacketSocketCounters | undefined> {
  return (await readWith('perl', ['-e', PERL], fd)) ?? (await readWith('python3', ['-c', PYTHON], fd))
}
