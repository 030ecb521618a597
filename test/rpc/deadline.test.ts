import {type ChildProcess, spawn} from 'node:child_process'
import {once} from 'node:events'
import {connect, type Socket} from 'node:net'
import {createInterface} from 'node:readline'

import {afterEach, describe, expect, it} from 'vitest'

import {prepareCall, runLoad} from '../../src/rpc/index.js'
import {loadSchema} from '../../src/rpc/proto/index.js'

// A listener whose accept queue is full until told otherwise: Linux drops the
// SYNs that arrive meanwhile and the client's kernel retries them after its
// initial RTO (1 s), so the handshake itself takes about a second. Then it
// accepts everything and answers nothing. Node always accepts at once, so the
// listener is a few lines of python3 (which node-gyp already needs here).
const STALLING_SERVER = `
import socket, sys, time
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(0)
print(s.getsockname()[1], flush=True)
sys.stdin.readline()
time.sleep(0.3)
s.settimeout(0.1)
held = []
end = time.time() + 20
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
`

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

async function stallingServer(): Promise<{port: number; child: ChildProcess}> {
  const child = spawn('python3', ['-c', STALLING_SERVER], {stdio: ['pipe', 'pipe', 'inherit']})
  cleanups.push(() => child.kill('SIGKILL'))
  const [line] = (await once(createInterface({input: child.stdout!}), 'line')) as [string]
  return {port: Number(line), child}
}

describe('one deadline per call, from the moment the wait begins', () => {
  it('--repeat --connection-per-call gives up at --timeout even when the handshake took most of it', async () => {
    const {port, child} = await stallingServer()
    // Fill the accept queue (backlog 0 holds one connection).
    const filler: Socket = connect(port, '127.0.0.1')
    cleanups.push(() => filler.destroy())
    await once(filler, 'connect')

    const schema = loadSchema({protoFiles: ['examples/order.proto'], importPaths: []})
    if (!schema.ok) throw schema.error
    const prepared = prepareCall({method: 'Order.makeOrder', schema: schema.value, body: {kind: 'json', value: {price: 100, goods: 'apple'}}})
    if (!prepared.ok) throw prepared.error

    const timeoutMs = 2000
    const running = runLoad({addr: {host: '127.0.0.1', port}, prepared: prepared.value, repeat: 2, concurrency: 2, connectionPerCall: true, timeoutMs})
    // Both SYNs are in and dropped by now; the queue frees 0.3 s later, and the
    // retried SYNs (about 1 s after the first) connect.
    await new Promise((r) => setTimeout(r, 150))
    child.stdin!.write('go\n')
    const r = await running
    if (!r.ok) throw r.error

    expect(r.value.calls).toBe(2)
    expect(r.value.transportErrors).toEqual([expect.objectContaining({code: 'CALL_TIMEOUT', count: 2})])
    expect(r.value.connections).toBe(2)
    // The deadline, not the deadline plus the second the handshake took
    // (the old behaviour: about 3 s). The slack is for a busy machine.
    expect(r.value.durationMs).toBeGreaterThanOrEqual(timeoutMs - 5)
    expect(r.value.durationMs).toBeLessThan(timeoutMs + 600)
  })
})
