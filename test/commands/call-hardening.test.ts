// call against bad replies and bad input, as a user runs it: the built
// ./bin/run.js as a process, servers on real sockets on 127.0.0.1. Each case is
// one gap of issue 13: a malformed reply or a stray msg_id reported as what
// arrived, stdin read to its end from a slow pipe, @FILE bounded before it is
// read, errors about a body that never quote it, --proto DIR.
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {decodeFrame, encodeFrame, type TinyPbFrame} from '../../decoders/tinypb/index.js'
import {type ServerHandle, startServer} from '../../src/rpc/index.js'
import {loadSchema} from '../../src/rpc/proto/index.js'
import {buildCli, type ProcessOutput, runCli} from '../rpc/helpers/cli-process.js'

const PROTO = ['--proto', 'examples/order.proto']
const BIN = join(process.cwd(), 'bin', 'run.js')
const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-call-hard-'))
const servers: Server[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
})

beforeAll(() => buildCli(), 120_000)

const call = (args: string[], opts: {stdin?: string} = {}) => runCli(['call', 'Order.makeOrder', ...args], {built: true, ...opts})

/** A server that answers each request with reply(request) and, unless told, keeps the connection open (as rocket does). */
async function crafted(reply: (req: TinyPbFrame) => Buffer, opts: {close?: boolean} = {}): Promise<string> {
  const server = createServer((s) => {
    sockets.push(s)
    s.on('error', () => {})
    let pending = Buffer.alloc(0)
    s.on('data', (d) => {
      pending = Buffer.concat([pending, d])
      const r = decodeFrame(pending, 0, pending.length)
      if (r.kind !== 'frame') return
      s.write(reply(r.frame))
      if (opts.close) s.end()
    })
  })
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `127.0.0.1:${(server.address() as {port: number}).port}`
}

const goodReply = (req: TinyPbFrame, msgId: string = req.msgId) => encodeFrame({msgId, methodName: req.methodName, pbData: Buffer.from('1a083230323330353134', 'hex')})

function withPkLen(frame: Buffer, pkLen: number): Buffer {
  const out = Buffer.from(frame)
  out.writeInt32BE(pkLen, 1)
  return out
}

/**
 * A user's shell environment: vitest's own variables (NODE_ENV=test, SSR=1, ...)
 * change how the CLI's libraries start, and with them whether anything touches
 * process.stdin (which makes the pipe non-blocking) before the body is read.
 */
function userEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'TERM', 'TMPDIR']
  return {...Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])), NO_COLOR: '1'}
}

/** Run the CLI through another program (a shell pipeline, /usr/bin/time) in a user's environment. */
function shell(cmd: string, args: string[]): Promise<ProcessOutput> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {env: userEnv(), stdio: ['ignore', 'pipe', 'pipe']})
    let [stdout, stderr] = ['', '']
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}))
  })
}

/** stderr as one line: oclif wraps an error's lines at the terminal width, each under " ›". */
const flat = (stderr: string) => stderr.replace(/\s*\n ›\s+/g, ' ')

function json(p: ProcessOutput): Record<string, any> {
  return JSON.parse(p.stdout)
}

describe('call reports what arrived instead of an answer (built CLI)', () => {
  it.each([
    ['pk_len 0x7fffffff', (r: TinyPbFrame) => withPkLen(goodReply(r), 0x7fffffff), 'PK_LEN_TOO_LARGE', /beyond the 64 MiB frame maximum/],
    ['a negative pk_len', (r: TinyPbFrame) => withPkLen(goodReply(r), -5), 'PK_LEN_TOO_SMALL', /below the 26-byte minimum/],
    ['a bad end byte', (r: TinyPbFrame) => Buffer.concat([goodReply(r).subarray(0, -1), Buffer.from([0x04])]), 'BAD_END', /pk_len and the bytes written disagree/],
  ])('a reply with %s: the malformed frame with its code and offset, causes about the framing, in --format json too', async (_what, reply, code, cause) => {
    const addr = await crafted(reply)
    const p = await call([...PROTO, '--addr', addr, '--json', '{"price":100}', '--timeout', '500', '--format', 'json'])
    expect(p.code).toBe(1)
    const out = json(p)
    expect(out.status).toBe('transport-error')
    expect(out.malformed[0]).toMatchObject({code, offset: 0})
    expect(out.error.code).toBe('MALFORMED_REPLY')
    expect(out.error.message).toContain(`malformed frame: ${code} at stream offset 0`)
    expect(out.error.causes.join('\n')).toMatch(cause)
    // Not the server's handler: it answered, with a frame that does not decode.
    expect(out.error.causes.join('\n')).not.toMatch(/without running done/)
    const pretty = await call([...PROTO, '--addr', addr, '--json', '{"price":100}', '--timeout', '500'])
    expect(pretty.code).toBe(1)
    expect(flat(pretty.stderr)).toContain(`malformed frame: ${code} at stream offset 0`)
    expect(flat(pretty.stderr)).not.toContain('no response to')
  })

  it('a malformed reply followed by the server closing: still the malformed frame, not "peer closed without answering"', async () => {
    const addr = await crafted((r) => withPkLen(goodReply(r), 0x7fffffff), {close: true})
    const out = json(await call([...PROTO, '--addr', addr, '--json', '{}', '--timeout', '2000', '--format', 'json']))
    expect(out.error.code).toBe('MALFORMED_REPLY')
    expect(out.malformed).toMatchObject([{code: 'PK_LEN_TOO_LARGE', offset: 0}])
  })

  it('a reply with another msg_id: the stray msg_id named, in strays, causes about msg_id echoing', async () => {
    const addr = await crafted((r) => goodReply(r, '99998888'))
    const p = await call([...PROTO, '--addr', addr, '--json', '{}', '--timeout', '500', '--format', 'json'])
    expect(p.code).toBe(1)
    const out = json(p)
    expect(out.strays).toMatchObject([{kind: 'unknown', msgId: '99998888', methodName: 'Order.makeOrder'}])
    expect(out.error.code).toBe('STRAY_REPLY')
    expect(out.error.message).toContain('the server answered msg_id "99998888"')
    expect(out.error.causes.join('\n')).toMatch(/does not echo the msg_id/)
    expect(out.error.causes.join('\n')).not.toMatch(/without running done/)
  })
})

describe('call reads its body safely (built CLI)', () => {
  let server: ServerHandle
  let addr: string
  beforeAll(async () => {
    const schema = loadSchema({protoFiles: ['examples/order.proto'], importPaths: []})
    if (!schema.ok) throw schema.error
    const r = await startServer({schema: schema.value})
    if (!r.ok) throw r.error
    server = r.value
    addr = `127.0.0.1:${server.address.port}`
  })
  afterAll(() => server.close(50))

  it('--json - reads a pipe whose writer is slow to its end', async () => {
    const cmd = `(sleep 1; printf '{"price":'; sleep 1; echo '12}') | exec "$0" "$@"`
    const p = await shell('bash', ['-c', cmd, process.execPath, BIN, 'call', 'Order.makeOrder', ...PROTO, '--addr', addr, '--json', '-', '--format', 'json'])
    expect(p.stderr).toBe('')
    expect(p.code).toBe(0)
    expect(json(p)).toMatchObject({status: 'ok', request: {price: 12}})
  })

  it('--json @FILE above --max-body is refused from its size, before it is read', async () => {
    const big = join(dir, 'big.json')
    writeFileSync(big, `{"goods": "${'x'.repeat(2 * 1024 * 1024)}"}`)
    const p = await call([...PROTO, '--addr', addr, '--json', `@${big}`, '--max-body', '1MiB'])
    expect(p.code).toBe(2)
    expect(flat(p.stderr)).toContain(`--json @${big} is 2.0 MiB, over the 1.0 MiB limit (--max-body)`)
    expect(flat(p.stderr)).toContain('BODY_TOO_LARGE')
  })

  it('--json @/dev/zero stops at the limit without growing memory', async () => {
    const timed = await shell('/usr/bin/time', ['-f', 'maxrss %M', process.execPath, BIN, 'call', 'Order.makeOrder', ...PROTO, '--addr', addr, '--json', '@/dev/zero'])
    expect(flat(timed.stderr)).toContain('--json @/dev/zero is larger than the 64.0 MiB limit (--max-body)')
    const kb = Number(timed.stderr.match(/maxrss (\d+)/)![1])
    // The default limit is 64 MiB: what was read up to it, and node itself; never the 1.9 GB it once reached.
    expect(kb * 1024).toBeLessThan(320 * 1024 * 1024)
  })

  it('an error about a body names the file and the position, never its bytes', async () => {
    const secret = join(dir, 'shadow')
    writeFileSync(secret, 'root:$y$j9T$secrethash:19000:0:99999:7:::\n')
    const p = await call([...PROTO, '--addr', addr, '--json', `@${secret}`])
    expect(p.code).toBe(2)
    expect(flat(p.stderr)).toContain(`--json @${secret} is not valid JSON at line 1, column 1`)
    expect(flat(p.stderr)).not.toMatch(/root|secret|\$y\$/)
    const nested = join(dir, 'nested.json')
    writeFileSync(nested, '{\n  "price": 12,\n  "goods": hunter2\n}\n')
    const q = await call([...PROTO, '--addr', addr, '--json', `@${nested}`])
    expect(flat(q.stderr)).toContain(`--json @${nested} is not valid JSON at line 3, column 12`)
    expect(flat(q.stderr)).not.toContain('hunter2')
  })

  it('--proto DIR says it is a directory', async () => {
    const p = await call(['--proto', 'examples', '--addr', addr, '--json', '{}'])
    expect(p.code).toBe(2)
    expect(flat(p.stderr)).toContain('examples is a directory, not a .proto file')
    expect(flat(p.stderr)).toContain('PROTO_IS_DIRECTORY')
  })
})
