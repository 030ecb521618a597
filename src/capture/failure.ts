import {RpcDiagError, UsageError} from '../errors.js'

/** How to get capture rights, for the binary that needs them. */
export function privilegeHint(binary: 'node' | 'tcpdump' | 'dumpcap'): string {
  const debian = binary === 'dumpcap' ? ' (on Debian and Ubuntu: sudo dpkg-reconfigure wireshark-common, answer Yes, then sudo usermod -aG wireshark $USER and log in again)' : ''
  return (
    `Run rpcdiag as root (sudo), or let ${binary} capture: sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which ${binary}))${debian}, ` +
    'or analyse a saved capture with --read FILE'
  )
}

const PERMISSION = /permission|not permitted|EPERM|EACCES/i
const NO_DEVICE = /no such device|doesn't exist|does not exist|SIOCGIFHWADDR|SIOCGIFINDEX/i
const BAD_FILTER = /syntax error|parse filter|filter expression|illegal|unknown host|not a valid|expression rejects|unknown (network|port|protocol)/i

/**
 * Turn a libpcap or tcpdump failure message into an error with a code and a
 * message that says what to do.
 */
export function classifyCaptureFailure(device: string, message: string, via: 'cap' | 'tcpdump' | 'dumpcap', filter?: string): RpcDiagError {
  const text = message.replace(/^(tcpdump|dumpcap): /gm, '').replace(/\s+/g, ' ').trim()
  if (PERMISSION.test(text)) {
    return new RpcDiagError('CAPTURE_PERMISSION', `no permission to capture on ${device} (${text}). ${privilegeHint(via === 'cap' ? 'node' : via)}`)
  }
  if (NO_DEVICE.test(text)) {
    return new UsageError('NO_SUCH_INTERFACE', `no capture interface "${device}" (${text}); rpcdiag sniff --list-interfaces shows them`)
  }
  if (BAD_FILTER.test(text)) return new UsageError('BAD_FILTER', `invalid capture filter${filter === undefined ? '' : ` "${filter}"`}: ${text}`)
  return new RpcDiagError('CAPTURE_FAILED', `cannot capture on ${device} via ${via}: ${text}`)
}
