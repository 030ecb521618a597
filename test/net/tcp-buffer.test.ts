import {describe, expect, it} from 'vitest'

import {TcpBuffer} from '../../src/net/index.js'

describe('TcpBuffer', () => {
  it('adopts a chunk without copying when nothing is pending', () => {
    const b = new TcpBuffer(16)
    const chunk = Buffer.from('hello world')
    b.append(chunk)
    expect(b.buffer).toBe(chunk)
    expect(b.peek().toString()).toBe('hello world')
    expect(b.writable).toBe(0) // an adopted chunk is never written into
  })

  it('copies only the pending tail when more bytes arrive', () => {
    const b = new TcpBuffer(16)
    b.append(Buffer.from('abcdefgh'))
    b.consume(6)
    b.append(Buffer.from('ij'))
    expect(b.peek().toString()).toBe('ghij')
    expect(b.readIndex).toBe(0)
    expect(b.capacity).toBe(16)
  })

  it('grows to fit what is pending plus the new chunk', () => {
    const b = new TcpBuffer(4)
    b.append(Buffer.from('ab'))
    b.append(Buffer.alloc(100, 'x'))
    expect(b.readable).toBe(102)
    expect(b.capacity).toBeGreaterThanOrEqual(102)
    expect(b.peek().subarray(0, 3).toString()).toBe('abx')
  })

  it('never overwrites bytes behind a view it handed out', () => {
    const b = new TcpBuffer(32)
    b.append(Buffer.from('A'))
    b.append(Buffer.from('BCDEFGH'))
    const view = b.peek().subarray(0, 4) // "ABCD", as a decoded frame would hold it
    b.consume(8)
    for (let i = 0; i < 50; i++) {
      b.append(Buffer.from(`${i}-`))
      b.append(Buffer.from('zz'))
      b.consume(b.readable - 1)
    }
    expect(view.toString()).toBe('ABCD')
  })

  it('reserves writable space for encoders and commits what they wrote', () => {
    const b = new TcpBuffer(8)
    b.ensureWritable(5)
    expect(b.writable).toBeGreaterThanOrEqual(5)
    b.buffer.write('hello', b.writeIndex)
    b.commit(5)
    expect(b.take().toString()).toBe('hello')
    expect(b.readable).toBe(0)
    expect(() => b.commit(b.writable + 1)).toThrow(RangeError)
    expect(() => b.consume(1)).toThrow(RangeError)
  })

  it('take() hands out a view that later writes do not touch', () => {
    const b = new TcpBuffer(64)
    b.ensureWritable(3)
    b.buffer.write('one', b.writeIndex)
    b.commit(3)
    const first = b.take()
    b.ensureWritable(3)
    b.buffer.write('two', b.writeIndex)
    b.commit(3)
    expect(first.toString()).toBe('one')
    expect(b.take().toString()).toBe('two')
  })

  it('sizes fresh memory for what is pending, not for the largest frame it ever held', () => {
    const b = new TcpBuffer(16)
    b.append(Buffer.from('x'))
    b.append(Buffer.alloc(1000, 'y'))
    expect(b.capacity).toBe(1024)
    b.consume(b.readable - 2)
    // The big frame is done; two bytes of the next are pending when more arrive than the room left.
    b.append(Buffer.alloc(30, 'z'))
    expect(b.peek().toString()).toBe('yy' + 'z'.repeat(30))
    expect(b.capacity).toBe(32)
  })

  it('release() drops its memory but not views handed out over it', () => {
    const b = new TcpBuffer(16)
    b.append(Buffer.from('a'))
    b.append(Buffer.alloc(100, 'b'))
    const view = b.peek().subarray(0, 3)
    b.release()
    expect([b.readable, b.capacity]).toEqual([0, 0])
    expect(view.toString()).toBe('abb')
    b.append(Buffer.from('again'))
    expect(b.peek().toString()).toBe('again')
  })
})
