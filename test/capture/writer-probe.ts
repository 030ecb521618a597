// Run by writer.test.ts: write N packets of the rocket capture with PcapWriter,
// one write() each, say so on stdout, then hang until killed (SIGKILL: no
// close, no exit handlers). The test then reads what the dead process left.
//   tsx test/capture/writer-probe.ts OUT.pcap N
import {readFileSync} from 'node:fs'

import {CaptureFileDecoder} from '../../decoders/pcap/index.js'
import {PcapWriter} from '../../src/capture/index.js'
import {ROCKET_PCAP} from '../fixtures/pcap/read-capture.js'

const [out, count] = process.argv.slice(2)
const file = readFileSync(ROCKET_PCAP)
const packets: import('../../decoders/packet/index.js').CapturedPacket[] = []
new CaptureFileDecoder().decode(file, 0, file.length, packets)
const w = PcapWriter.open(out, {linkType: 1})
if (!w.ok) throw w.error
for (const p of packets.slice(0, Number(count))) {
  const e = w.value.write(p)
  if (e) throw e
}
process.stdout.write(`written ${w.value.packets}\n`)
setInterval(() => {}, 1000)
