// A second process for the socket tests, so rows can be checked for another
// process's pid and name. Plain JS so it starts without tsx. It names itself
// "sockpeer": node's process.title sets /proc/PID/comm through prctl.
//
//   node peer.mjs connect PORT [count=N] [end] [noread] [write=N]   connect N times to 127.0.0.1:PORT
//   node peer.mjs listen [noread] [backlog=N] [block]      listen on 127.0.0.1:0
//   node peer.mjs unix PATH                                listen on a Unix socket
//
// It prints one JSON line when ready ({"port":...} or {"localPorts":[...]}), then
// waits until stdin closes (the test ends) or it is killed.
import {createServer, connect} from 'node:net'

process.title = 'sockpeer'
const [mode, ...rest] = process.argv.slice(2)
const opts = new Set(rest)
const num = (name) => {
  const hit = rest.find((r) => r.startsWith(`${name}=`))
  return hit === undefined ? undefined : Number(hit.slice(name.length + 1))
}
const ready = (info) => process.stdout.write(`${JSON.stringify(info)}\n`)
process.stdin.on('end', () => process.exit(0))
process.stdin.resume()

if (mode === 'connect') {
  const port = Number(rest[0])
  const count = num('count') ?? 1
  const opened = Array.from(
    {length: count},
    () =>
      new Promise((resolve) => {
        const socket = connect({host: '127.0.0.1', port, allowHalfOpen: true}, () => {
          const bytes = num('write')
          if (bytes !== undefined) socket.write(Buffer.alloc(bytes, 0x61))
          // "end": send our FIN at once; the server side stays in CLOSE-WAIT if it never closes.
          if (opts.has('end')) socket.end()
          resolve(socket.localPort)
        })
        if (opts.has('noread')) socket.pause()
        socket.on('error', () => {})
      }),
  )
  Promise.all(opened).then((localPorts) => ready({localPorts}))
} else if (mode === 'listen') {
  const server = createServer({pauseOnConnect: opts.has('noread'), allowHalfOpen: true}, (s) => s.on('error', () => {}))
  server.listen(0, '127.0.0.1', num('backlog') ?? 511, () => {
    ready({port: server.address().port})
    if (opts.has('block')) {
      // Never return to the event loop: connections pile up in the accept queue
      // until the test kills us (or stdin's end cannot even be seen).
      const cell = new Int32Array(new SharedArrayBuffer(4))
      for (;;) Atomics.wait(cell, 0, 0, 1000)
    }
  })
} else if (mode === 'unix') {
  const server = createServer((s) => s.on('error', () => {}))
  server.listen(rest[0], () => ready({path: rest[0]}))
} else {
  process.stderr.write(`unknown mode ${mode}\n`)
  process.exit(2)
}
