// sniff --list-interfaces: what a live capture can use, like tcpdump -D with
// the addresses ip -brief addr shows.

import type {ChalkInstance} from 'chalk'

import type {CaptureDevice} from '../../capture/interfaces.js'
import {renderTable} from '../table.js'

export function renderInterfaces(devices: readonly CaptureDevice[], c: ChalkInstance): string[] {
  if (devices.length === 0) return ['no capture devices found (is libpcap or tcpdump installed, and may this user capture?)']
  return renderTable<CaptureDevice>(
    [
      {header: 'Interface', get: (d) => c.bold(d.name)},
      {header: 'Flags', get: (d) => d.flags.join(', ') || (d.loopback ? 'Loopback' : '')},
      {header: 'Addresses', get: (d) => d.addresses.map((a) => a.address).join(' ')},
      {header: 'Description', get: (d) => d.description ?? ''},
    ],
    devices,
  )
}
