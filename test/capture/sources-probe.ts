// Run by sources-live.test.ts as an unprivileged user (uid 65534): open a live
// capture and print what openCapture returned, as one JSON line.
//   tsx test/capture/sources-probe.ts BACKEND INTERFACE
import {type CaptureBackend, openCapture} from '../../src/capture/index.js'

const [backend, iface] = process.argv.slice(2)
const r = await openCapture({backend: backend as CaptureBackend, interface: iface, ports: [9], bufferSize: 1 << 20})
if (r.ok) {
  await r.value.source.stop()
  process.stdout.write(JSON.stringify({ok: true, kind: r.value.source.kind}) + '\n')
} else {
  process.stdout.write(JSON.stringify({ok: false, code: r.error.code, message: r.error.message}) + '\n')
}
