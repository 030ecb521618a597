import {RpcDiagError, UsageError} from '../errors.js'

/** How to get capture rights, for the binary that needs them. */
export function privilegeHint(binary: 'node' | 'tcpdump'): string {
  return (
    `Run rpcdiag as root (sudo), or let ${binary} capture: sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which ${binary})), ` +
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
export function classifyCaptureFailure(device: string, message: string, via: 'cap' | 'tcpdump', filter?: string): RpcDiagError {
  const text = message.replace(/^tcpdump: /gm, '').replace(/\s+/g, ' ').trim()
  if (PERMISSION.test(text)) {
    return new RpcDiagError('CAPTURE_PERMISSION', `no permission to capture on ${device} (${text}). ${privilegeHint(via === 'cap' ? 'node' : 'tcpdump')}`)
  }
  if (NO_DEVICE.test(text)) {
    return new UsageError('NO_SUCH_INTERFACE', `no capture interface "${device}" (${text}); rpcdiag sniff --list-interfaces shows them`)
  }
  if (BAD_FILTER.test(text)) return new UsageError('BAD_FILTER', `invalid capture filter${filter === undefined ? '' : ` "${filter}"`}: ${text}`)
  return new RpcDiagError('CAPTURE_FAILED', `cannot capture on ${device} via ${via}: ${text}`)
}
