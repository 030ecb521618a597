import {execFile} from 'node:child_process'
import {networkInterfaces} from 'node:os'

import {err, ok, type Result, RpcDiagError} from '../errors.js'
import {type CapLoader, loadCap} from './cap-addon.js'

export interface InterfaceAddress {
  readonly address: string
  readonly netmask?: string
  readonly family: 4 | 6
}

/** A device libpcap can capture on, as `rpcdiag sniff --list-interfaces` shows it. */
export interface CaptureDevice {
  readonly name: string
  readonly description?: string
  readonly addresses: readonly InterfaceAddress[]
  readonly loopback: boolean
  /** tcpdump -D's flags when tcpdump is installed: Up, Running, Loopback, Wireless, Connected... */
  readonly flags: readonly string[]
}

export interface ListInterfacesOptions {
  loadCap?: CapLoader
  tcpdump?: string
}

interface TcpdumpDevice {
  name: string
  description?: string
  flags: string[]
}

/** Parse `tcpdump -D`: "3.lo [Up, Running, Loopback]", "2.any (Pseudo-device ...) [Up, Running]". */
export function parseTcpdumpDevices(text: string): TcpdumpDevice[] {
  const out: TcpdumpDevice[] = []
  for (const line of text.split('\n')) {
    const m = /^\d+\.(\S+)(?: \((.*)\))?(?: \[([^\]]*)\])?\s*$/.exec(line.trim())
    if (!m) continue
    const flags = (m[3] ?? '')
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '' && f !== 'none')
    out.push({name: m[1], description: m[2], flags})
  }
  return out
}

function tcpdumpDevices(bin: string): Promise<TcpdumpDevice[] | undefined> {
  return new Promise((resolve) => {
    execFile(bin, ['-D'], {timeout: 10_000}, (error, stdout) => resolve(error ? undefined : parseTcpdumpDevices(stdout)))
  })
}

function osAddresses(name: string): InterfaceAddress[] {
  return (networkInterfaces()[name] ?? []).map((a) => ({address: a.address, netmask: a.netmask, family: a.family === 'IPv4' ? 4 : 6}))
}

/**
 * The capture devices, with addresses: libpcap's device list through cap
 * (pcap_findalldevs), flags from `tcpdump -D`; with only tcpdump, its list
 * and the addresses the OS reports. Needs no privilege.
 */
export async function listInterfaces(opts: ListInterfacesOptions = {}): Promise<Result<CaptureDevice[], RpcDiagError>> {
  const fromTcpdump = await tcpdumpDevices(opts.tcpdump ?? 'tcpdump')
  const flagsOf = new Map((fromTcpdump ?? []).map((d) => [d.name, d.flags]))
  const cap = (opts.loadCap ?? loadCap)()
  if (cap.ok) {
    try {
      const list = cap.value.Cap.deviceList()
      return ok(
        list.map((d) => ({
          name: d.name,
          description: d.description,
          addresses: d.addresses.filter((a) => a.addr !== undefined).map((a) => ({address: a.addr, netmask: a.netmask, family: a.addr.includes(':') ? 6 : 4})),
          loopback: d.flags === 'PCAP_IF_LOOPBACK' || (flagsOf.get(d.name) ?? []).includes('Loopback'),
          flags: flagsOf.get(d.name) ?? [],
        })),
      )
    } catch (e) {
      if (fromTcpdump === undefined) return err(new RpcDiagError('CAPTURE_FAILED', `cannot list interfaces: ${(e as Error).message}`, {cause: e}))
    }
  }
  if (fromTcpdump === undefined) {
    return err(new RpcDiagError('CAPTURE_UNAVAILABLE', 'cannot list capture interfaces: neither the cap addon nor tcpdump is available'))
  }
  return ok(
    fromTcpdump.map((d) => ({
      name: d.name,
      description: d.description,
      addresses: osAddresses(d.name),
      loopback: d.flags.includes('Loopback'),
      flags: d.flags,
    })),
  )
}
