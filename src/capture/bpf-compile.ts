import {spawn} from 'node:child_process'

import {type BpfProgram, parseBpfProgram} from '../../decoders/bpf/index.js'
import {linkTypeName} from '../../decoders/packet/index.js'
import {encodePcapHeader} from '../../decoders/pcap/index.js'
import {err, ok, type Result, RpcDiagError, UsageError} from '../errors.js'

export interface CompileOptions {
  /** tcpdump binary (default "tcpdump" on PATH). */
  tcpdump?: string
  snaplen?: number
}

/**
 * Compile a pcap-filter(7) expression for a link type with libpcap, through
 * `tcpdump -ddd -r -` fed a pcap header of that link type on stdin (so no
 * device and no privilege is needed), and parse the program it prints.
 * A bad expression is a UsageError BAD_FILTER carrying libpcap's own words;
 * no tcpdump is FILTER_COMPILER_MISSING.
 */
export function compileFilter(expression: string, linkType: number, opts: CompileOptions = {}): Promise<Result<BpfProgram, RpcDiagError>> {
  const bin = opts.tcpdump ?? 'tcpdump'
  return new Promise((resolve) => {
    const child = spawn(bin, ['-ddd', '-r', '-', expression], {stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    let errText = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (errText += d))
    child.on('error', (e: NodeJS.ErrnoException) => {
      resolve(
        err(
          e.code === 'ENOENT'
            ? new RpcDiagError('FILTER_COMPILER_MISSING', `a capture filter on a file needs tcpdump to compile it with libpcap, and "${bin}" was not found; install tcpdump or leave out --filter/--host names`, {cause: e})
            : new RpcDiagError('CAPTURE_FAILED', `cannot run ${bin} to compile the filter: ${e.message}`, {cause: e}),
        ),
      )
    })
    child.on('close', (code) => {
      if (code !== 0) {
        const why = errText
          .split('\n')
          .filter((l) => l.trim() !== '' && !l.startsWith('reading from file'))
          .map((l) => l.replace(/^tcpdump: /, ''))
          .join('; ')
        resolve(err(new UsageError('BAD_FILTER', `invalid capture filter "${expression}" for link type ${linkTypeName(linkType)}: ${why || `tcpdump exited with ${code}`}`)))
        return
      }
      const parsed = parseBpfProgram(out)
      if (parsed.kind === 'error') resolve(err(new RpcDiagError('CAPTURE_FAILED', `tcpdump printed a filter program rpcdiag cannot run: ${parsed.message}`)))
      else resolve(ok(parsed.program))
    })
    // EPIPE when tcpdump exits early is reported through 'close'.
    child.stdin.on('error', () => {})
    child.stdin.end(encodePcapHeader({linkType, snaplen: opts.snaplen}))
  })
}
