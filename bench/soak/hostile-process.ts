// The soak's hostile clients in a process of their own, as real attackers are:
// in the soak's own process their write loops (a huge frame's 1 MiB chunks,
// accepted by the kernel at once) held its event loop, and the good clients
// beside them measured the bench, not serve.
//
//   npx tsx bench/soak/hostile-process.ts HOST PORT SECONDS HUGE SLOWLORIS
// Prints the HostileCounts as one JSON line when the time is up.
import {hostileTraffic} from './traffic.js'

const [host, port, seconds, huge, slowloris] = process.argv.slice(2)
const t0 = performance.now()
const counts = await hostileTraffic({host: host!, port: Number(port)}, {until: () => performance.now() - t0 >= Number(seconds) * 1000, huge: Number(huge), slowloris: Number(slowloris)})
console.log(JSON.stringify(counts))
