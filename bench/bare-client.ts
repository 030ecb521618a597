// What the call benchmarks share: the bare TinyPB client (the floor any
// client in Node can reach) and \`rpcdiag serve\` started in its own process.
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ROOT} from './build-dist.js'

const CLI = join(ROOT, 'bin', 'run.js')
const PROTO = ['--proto', join(ROOT, 'examples', 'order.proto')]
/** {"price":100,"goods":"apple"} encoded. */
export const PB_HEX = '086412056170706c65'

// The bare client: a pre-encoded frame (a fixed msg_id: the server echoes it
// and nothing here pairs replies), replies framed by pk_len and counted. With
// K in flight it answers the n replies of one read with one write of n frames.
export const BARE = `
const net = require('node:net')
const [host, port, calls, conns, mode, depth] = process.argv.slice(2).map((a, i) => (i === 0 || i === 4 ? a : Number(a)))
const method = 'Order.makeOrder', id = '20000000000000000001', pb = Buffer.from('${PB_HEX}', 'hex')
const frame = Buffer.alloc(26 + id.length + method.length + pb.length)
let at = 0
frame[at++] = 2; at = frame.writeInt32BE(frame.length, at); at = frame.writeInt32BE(id.length, at); at += frame.write(id, at)
at = frame.writeInt32BE(method.length, at); at += frame.write(method, at); at = frame.writeInt32BE(0, at); at = frame.writeInt32BE(0, at)
at += pb.copy(frame, at); at = frame.writeInt32BE(1, at); frame[at] = 3
const frames = Buffer.concat(Array.from({length: depth}, () => frame))
let sent = 0, done = 0
const cpu0 = process.cpuUsage(), t0 = process.hrtime.bigint()
function finish() {
  const ms = Number(process.hrtime.bigint() - t0) / 1e6, c = process.cpuUsage(cpu0)
  console.log(JSON.stringify({calls: done, ms, callsPerSec: done * 1000 / ms, cpuMs: (c.user + c.system) / 1000}))
  process.exit(0)
}
/** Count the whole replies in a connection's bytes; keep the tail. */
function replies(state, d) {
  let buf = state.buf.length ? Buffer.concat([state.buf, d]) : d, n = 0
  while (buf.length >= 5 && buf.length >= buf.readInt32BE(1)) { buf = buf.subarray(buf.readInt32BE(1)); n++ }
  state.buf = buf
  return n
}
function send(s, n) { sent += n; s.write(n === 1 ? frame : frames.subarray(0, n * frame.length)) }
if (mode === 'per-call') {
  const lane = () => {
    if (sent >= calls) return
    sent++
    const s = net.connect({host, port}, () => { s.setNoDelay(true); s.write(frame) })
    const state = {buf: Buffer.alloc(0)}
    s.on('data', (d) => { if (replies(state, d) > 0) { s.destroy(); if (++done === calls) finish(); else lane() } })
  }
  for (let c = 0; c < conns; c++) lane()
} else {
  for (let c = 0; c < conns; c++) {
    const s = net.connect({host, port}, () => { s.setNoDelay(true); send(s, Math.min(depth, calls - sent)) })
    const state = {buf: Buffer.alloc(0)}
    s.on('data', (d) => {
      const n = replies(state, d)
      done += n
      if (done === calls) finish()
      const more = Math.min(n, calls - sent)
      if (more > 0) send(s, more)
    })
  }
}
`

export async function startServe(): Promise<{pid: number; addr: string; stop: () => Promise<void>}> {
  const child = spawn(process.execPath, [CLI, 'serve', ...PROTO, '--responses', join(ROOT, 'examples', 'order-responses.json'), '--port', '0', '-q'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {...process.env, NO_COLOR: '1'},
  })
  let err = ''
  const addr = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d
      const m = /listening on (\S+)/.exec(err)
      if (m) resolve(m[1])
    })
    child.on('exit', () => reject(new Error(`serve exited: ${err}`)))
  })
  return {
    pid: child.pid!,
    addr,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

/**
 * What a call bench stands on: a `rpcdiag serve`, the bare client written to a
 * scratch directory (`node bare HOST PORT ...`), and close() to stop and remove both.
 */
export async function startCallBench(name: string) {
  const serve = await startServe()
  const dir = mkdtempSync(join(tmpdir(), `rpcdiag-bench-${name}-`))
  const bare = join(dir, 'bare.cjs')
  writeFileSync(bare, BARE)
  const cut = serve.addr.lastIndexOf(':')
  return {
    serve,
    dir,
    bare,
    host: serve.addr.slice(0, cut),
    port: serve.addr.slice(cut + 1),
    close: async () => {
      await serve.stop()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
