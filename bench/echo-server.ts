// The echo TinyPB server of bench/tinypb-load.ts as a process of its own, so a
// benchmark's client and server do not share one event loop: prints its port,
// runs until its stdin closes.
//   node --import tsx bench/echo-server.ts
import {startEchoServer} from './tinypb-load.js'

const {server, addr} = await startEchoServer()
process.stdout.write(`${addr.port}\n`)
process.stdin.resume()
process.stdin.on('end', () => void server.close(100))
