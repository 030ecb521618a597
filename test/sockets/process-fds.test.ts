// The two ways of reading a process's socket fds (src/sockets/process-fds.ts)
// agree, on this process and on a child holding real sockets, and say why a
// table could not be read.
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {createServer, connect, type Server, type Socket} from 'node:net'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type LibcAccess, openLibc} from '../../src/net/libc.js'
import {socketFdReader} from '../../src/sockets/process-fds.js'

let libc: LibcAccess

function sockets(pid: number, way: 'libc' | 'node'): {way: string; found: Array<[number, number]>; failed: string | undefined} {
  const reader = socketFdReader('/proc', way === 'libc' ? libc : undefined)
  const found: Array<[number, number]> = []
  const failed = reader.read(String(pid), (fd, inode) => found.push([fd, inode]))
  return {way: reader.way, found: found.sort((a, b) => a[0] - b[0]), failed}
}

describe('socketFdReader', () => {
  let server: Server
  const held: Socket[] = []
  beforeAll(async () => {
    libc = await openLibc()
    server = createServer((s) => held.push(s))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const {port} = server.address() as {port: number}
    for (let i = 0; i < 20; i++) {
      const c = connect(port, '127.0.0.1')
      await once(c, 'connect')
      held.push(c)
    }
  })
  afterAll(() => {
    for (const s of held) s.destroy()
    server.close()
  })

  it.runIf(process.platform === 'linux')('reads through libc here, and finds what readlinkSync finds', () => {
    const libc = sockets(process.pid, 'libc')
    const node = sockets(process.pid, 'node')
    expect(libc.way).toBe('libc')
    expect(node.way).toBe('node')
    expect(libc.failed).toBeUndefined()
    expect(libc.found).toEqual(node.found)
    // Every socket this test holds is among them, by its fd.
    const fds = new Set(libc.found.map(([fd]) => fd))
    for (const s of held) expect(fds.has((s as unknown as {_handle: {fd: number}})._handle.fd)).toBe(true)
    expect(libc.found.every(([, inode]) => inode > 0)).toBe(true)
  })

  it('finds the sockets another process holds, the same both ways', async () => {
    const child = spawn(process.execPath, ['-e', "const s = require('net').createServer().listen(0, '127.0.0.1', () => console.log('up')); setTimeout(() => {}, 20000)"], {stdio: ['ignore', 'pipe', 'inherit']})
    try {
      await once(child.stdout!, 'data')
      const libc = sockets(child.pid!, 'libc')
      const node = sockets(child.pid!, 'node')
      expect(libc.found.length).toBeGreaterThan(0)
      expect(libc.found).toEqual(node.found)
    } finally {
      child.kill('SIGKILL')
    }
    await once(child, 'exit')
    // Gone: both ways say so, as ENOENT, and find nothing.
    for (const way of ['libc', 'node'] as const) expect(sockets(child.pid!, way)).toMatchObject({found: [], failed: 'ENOENT'})
  })
})
