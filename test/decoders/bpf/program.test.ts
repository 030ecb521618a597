import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {parseBpfProgram, runBpf} from '../../../decoders/bpf/index.js'

function program(text: string) {
  const r = parseBpfProgram(text)
  if (r.kind === 'error') throw new Error(r.message)
  return r.program
}

// Hand-assembled programs (code jt jf k, decimal, as tcpdump -ddd prints them).
const LD_B_ABS = 0x30
const LD_H_ABS = 0x28
const LD_W_ABS = 0x20
const LD_LEN = 0x80
const LDX_MSH = 0xb1
const LD_B_IND = 0x50
const JEQ_K = 0x15
const JGT_K = 0x25
const JSET_K = 0x45
const ALU_ADD_K = 0x04
const ALU_DIV_X = 0x3c
const ALU_AND_K = 0x54
const TAX = 0x07
const TXA = 0x87
const ST = 0x02
const LD_MEM = 0x60
const RET_K = 0x06
const RET_A = 0x16

function asm(...insns: Array<[number, number, number, number]>): string {
  return [String(insns.length), ...insns.map((i) => i.join(' '))].join('\n')
}

describe('BPF interpreter', () => {
  it('loads bytes, halves, words and the wire length; jumps; returns', () => {
    const p = program(
      asm([LD_H_ABS, 0, 0, 0], [JEQ_K, 0, 3, 0x0102], [LD_W_ABS, 0, 0, 2], [JGT_K, 0, 1, 0x03030303], [RET_K, 0, 0, 96], [LD_LEN, 0, 0, 0], [RET_A, 0, 0, 0]),
    )
    expect(runBpf(p, Uint8Array.of(1, 2, 4, 4, 4, 4), 6)).toBe(96)
    expect(runBpf(p, Uint8Array.of(1, 2, 3, 3, 3, 3), 1500)).toBe(1500) // JGT false: falls to LEN
    expect(runBpf(p, Uint8Array.of(9, 9, 4, 4, 4, 4), 77)).toBe(77)
  })

  it('rejects the packet on a load past the captured bytes, like bpf_filter()', () => {
    const p = program(asm([LD_W_ABS, 0, 0, 10], [RET_K, 0, 0, 1]))
    expect(runBpf(p, new Uint8Array(14), 14)).toBe(1)
    expect(runBpf(p, new Uint8Array(13), 100)).toBe(0)
  })

  it('does the IPv4 header-length trick (ldx 4*([14]&0xf)) and indexed loads', () => {
    const p = program(asm([LDX_MSH, 0, 0, 14], [LD_B_IND, 0, 0, 14], [RET_A, 0, 0, 0]))
    const b = new Uint8Array(60)
    b[14] = 0x46 // IHL 6 -> 24 bytes
    b[24 + 14] = 0x99 // P[X + 14]
    expect(runBpf(p, b, 60)).toBe(0x99)
  })

  it('does arithmetic unsigned, refuses a division by zero, keeps scratch memory', () => {
    const add = program(asm([LD_W_ABS, 0, 0, 0], [ALU_ADD_K, 0, 0, 2], [RET_A, 0, 0, 0]))
    expect(runBpf(add, Uint8Array.of(0xff, 0xff, 0xff, 0xff), 4)).toBe(1) // wraps at 2^32
    const div = program(asm([LD_B_ABS, 0, 0, 1], [TAX, 0, 0, 0], [LD_B_ABS, 0, 0, 0], [ALU_DIV_X, 0, 0, 0], [RET_A, 0, 0, 0]))
    expect(runBpf(div, Uint8Array.of(100, 7), 2)).toBe(14)
    expect(runBpf(div, Uint8Array.of(100, 0), 2)).toBe(0)
    const mem = program(asm([LD_B_ABS, 0, 0, 0], [ST, 0, 0, 3], [LD_B_ABS, 0, 0, 1], [TAX, 0, 0, 0], [LD_MEM, 0, 0, 3], [JSET_K, 0, 1, 0x80], [TXA, 0, 0, 0], [ALU_AND_K, 0, 0, 0x0f], [RET_A, 0, 0, 0]))
    expect(runBpf(mem, Uint8Array.of(0x80, 0x3c), 2)).toBe(0x0c)
    expect(runBpf(mem, Uint8Array.of(0x00, 0x3c), 2)).toBe(0x00) // jset false: A stays M[3]
  })

  it('refuses programs bpf_validate() would', () => {
    for (const bad of [
      '',
      '2\n6 0 0 1',
      asm([JEQ_K, 5, 0, 1], [RET_K, 0, 0, 1]),
      asm([0x05, 0, 0, 9], [RET_K, 0, 0, 1]), // ja past the end
      asm([ST, 0, 0, 16], [RET_K, 0, 0, 1]),
      asm([LD_B_ABS, 0, 0, 0]),
      '1\n6 0 0',
      '0',
    ]) {
      expect(parseBpfProgram(bad).kind).toBe('error')
    }
  })

  it('never throws on any valid program and packet', () => {
    const insn = fc.tuple(fc.constantFrom(LD_B_ABS, LD_H_ABS, LD_W_ABS, LD_LEN, LDX_MSH, LD_B_IND, ALU_ADD_K, ALU_DIV_X, ALU_AND_K, TAX, TXA, JEQ_K, JSET_K), fc.nat(3), fc.nat(3), fc.nat(80))
    fc.assert(
      fc.property(fc.array(insn, {maxLength: 20}), fc.uint8Array({maxLength: 80}), (body, pkt) => {
        const n = body.length + 4
        const fixed = body.map(([c, jt, jf, k], i) => [c, Math.min(jt, n - i - 2), Math.min(jf, n - i - 2), k] as [number, number, number, number])
        const p = parseBpfProgram(asm(...fixed, [RET_A, 0, 0, 0], [RET_A, 0, 0, 0], [RET_A, 0, 0, 0], [RET_K, 0, 0, 0]))
        if (p.kind === 'program') expect(typeof runBpf(p.program, pkt, pkt.length)).toBe('number')
      }),
      {numRuns: 2000},
    )
  })
})
