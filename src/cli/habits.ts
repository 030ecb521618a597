// Words people bring from ss, netstat, tcpdump, tshark and grpcurl, typed
// where rpcdiag does not take them: the hint says the rpcdiag way to write
// the same thing, instead of "is not a rpcdiag command".

import {closest} from '../rpc/proto/closest.js'

/** The words that start an ss filter (ss(8): FILTER := [ state STATE-FILTER ] [ EXPRESSION ]). */
const SS_FILTER_WORDS = new Set(['state', 'exclude', 'excl', 'sport', 'dport', 'src', 'dst'])
/** Of those, the ones that are not also tcpdump's (src and dst start a capture filter after sniff). */
const SS_ONLY_WORDS = new Set(['state', 'exclude', 'excl', 'sport', 'dport'])
/** tcpdump / pcap-filter(7) primitives that start a capture filter. */
const PCAP_FILTER_WORDS = new Set(['tcp', 'port', 'portrange', 'host', 'net', 'src', 'dst', 'ip', 'ip6'])
/** An ss flag bundle: -tanp, -lntu, -4. */
const SS_BUNDLE = /^-[tuanlpe46xsHrmoi]+$/

/** Quote a word for a shell line the user can paste back. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`
}

function line(words: readonly string[]): string {
  return words.map(shellWord).join(' ')
}

export interface HabitHint {
  /** What the words are, in a few words ("ss's filter syntax"). */
  readonly what: string
  /** The command line to type instead. */
  readonly instead: string
}

/**
 * A hint for words typed where no rpcdiag command takes them: at the top
 * (`rpcdiag state close-wait`) when `command` is undefined, else after a
 * command that does not take them (`rpcdiag sniff state close-wait`).
 */
export function habitHint(bin: string, words: readonly string[], command?: string): HabitHint | undefined {
  const [first, ...rest] = words
  if (first === undefined) return undefined
  const lower = first.toLowerCase()
  // After sniff, tcpdump's words are its capture filter (sniff takes them); ss's are not.
  if (command !== 'sockets' && (command === 'sniff' ? SS_ONLY_WORDS : SS_FILTER_WORDS).has(lower)) return {what: "ss's filter syntax", instead: `${bin} sockets ${line(words)}`}
  if (command === undefined) {
    if (SS_BUNDLE.test(first) || ['ss', 'netstat', 'lsof'].includes(lower)) {
      const args = ['ss', 'netstat', 'lsof'].includes(lower) ? rest : words
      return {what: lower.startsWith('-') ? "ss's flags" : `${lower}'s job`, instead: `${bin} sockets ${line(args)}`.trimEnd()}
    }
    if (['tcpdump', 'tshark', 'wireshark'].includes(lower)) return {what: `${lower}'s job`, instead: `${bin} sniff ${line(rest)}`.trimEnd()}
    if (PCAP_FILTER_WORDS.has(lower)) return {what: 'a capture filter (tcpdump syntax)', instead: `${bin} sniff ${line(words)}`}
    if (lower === 'grpcurl') return {what: "grpcurl's job", instead: `${bin} call ${line(rest)}`.trimEnd()}
    if (lower === 'list' || lower === 'describe') {
      return {what: `grpcurl's ${lower}`, instead: `${bin} methods --proto FILE${rest.length > 0 ? ` ${line(rest)}` : ''}`}
    }
    // Order.makeOrder, pkg.Service/method: a method name without the command.
    if (/^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*[./][A-Za-z_]\w*$/.test(first)) {
      return {what: 'a method name', instead: `${bin} call ${line(words)}`}
    }
  }
  return undefined
}

/** "did you mean sockets?" for a mistyped command name. */
export function closestCommand(name: string, commands: readonly string[]): string | undefined {
  return closest(name, commands, 1)[0]
}
