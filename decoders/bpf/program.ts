// A classic BPF interpreter, so that a filter compiled by libpcap (tcpdump -ddd)
// applies to packets read from a file exactly as it would in the kernel.
// Semantics follow bpf_filter() in libpcap's bpf_filter.c: unsigned 32-bit
// arithmetic, a load past the captured bytes or a division by zero rejects the
// packet, the return value is the number of bytes to keep (0 = drop).

// Instruction classes (code & 0x07).
const BPF_LD = 0x00
const BPF_LDX = 0x01
const BPF_ST = 0x02
const BPF_STX = 0x03
const BPF_ALU = 0x04
const BPF_JMP = 0x05
const BPF_RET = 0x06
const BPF_MISC = 0x07
// Load size (code & 0x18).
const BPF_W = 0x00
const BPF_H = 0x08
const BPF_B = 0x10
// Load mode (code & 0xe0).
const BPF_IMM = 0x00
const BPF_ABS = 0x20
const BPF_IND = 0x40
const BPF_MEM = 0x60
const BPF_LEN = 0x80
const BPF_MSH = 0xa0
// ALU and jump operations (code & 0xf0).
const BPF_ADD = 0x00
const BPF_SUB = 0x10
const BPF_MUL = 0x20
const BPF_DIV = 0x30
const BPF_OR = 0x40
const BPF_AND = 0x50
const BPF_LSH = 0x60
const BPF_RSH = 0x70
const BPF_NEG = 0x80
const BPF_MOD = 0x90
const BPF_XOR = 0xa0
const BPF_JA = 0x00
const BPF_JEQ = 0x10
const BPF_JGT = 0x20
const BPF_JGE = 0x30
const BPF_JSET = 0x40
// Operand source (code & 0x08) and return value (code & 0x18).
const BPF_X = 0x08
const BPF_RVAL_A = 0x10
const BPF_RVAL_X = 0x08
const BPF_TXA = 0x80

/** Scratch memory words (BPF_MEMWORDS). */
const MEMWORDS = 16
/** The kernel's BPF_MAXINSNS. */
export const BPF_MAX_INSNS = 4096

export interface BpfProgram {
  readonly length: number
  readonly code: Uint16Array
  readonly jt: Uint8Array
  readonly jf: Uint8Array
  readonly k: Uint32Array
}

export type BpfParseResult = {readonly kind: 'program'; readonly program: BpfProgram} | {readonly kind: 'error'; readonly message: string}

/**
 * Parse `tcpdump -ddd` output (a count line, then "code jt jf k" per line, in
 * decimal) and validate it the way bpf_validate() does: every jump lands
 * inside the program, scratch memory indexes are in range, the last
 * instruction returns.
 */
export function parseBpfProgram(text: string): BpfParseResult {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '')
  if (lines.length === 0 || !/^\d+$/.test(lines[0])) return {kind: 'error', message: 'BPF program text does not start with an instruction count'}
  const n = Number(lines[0])
  if (n === 0 || n > BPF_MAX_INSNS) return {kind: 'error', message: `BPF program of ${n} instructions (1 to ${BPF_MAX_INSNS} allowed)`}
  if (lines.length - 1 !== n) return {kind: 'error', message: `BPF program announces ${n} instructions but has ${lines.length - 1}`}
  const program: BpfProgram = {length: n, code: new Uint16Array(n), jt: new Uint8Array(n), jf: new Uint8Array(n), k: new Uint32Array(n)}
  for (let i = 0; i < n; i++) {
    const f = lines[i + 1].split(/\s+/)
    if (f.length !== 4 || !f.every((x) => /^-?\d+$/.test(x))) return {kind: 'error', message: `bad BPF instruction line ${i + 1}: "${lines[i + 1]}"`}
    const [code, jt, jf, k] = f.map(Number)
    if (code < 0 || code > 0xffff || jt < 0 || jt > 255 || jf < 0 || jf > 255) return {kind: 'error', message: `bad BPF instruction line ${i + 1}`}
    program.code[i] = code
    program.jt[i] = jt
    program.jf[i] = jf
    program.k[i] = k >>> 0
  }
  const problem = validate(program)
  return problem === undefined ? {kind: 'program', program} : {kind: 'error', message: problem}
}

function validate(p: BpfProgram): string | undefined {
  for (let pc = 0; pc < p.length; pc++) {
    const code = p.code[pc]
    const k = p.k[pc]
    const cls = code & 0x07
    if (cls === BPF_JMP) {
      const op = code & 0xf0
      if (op === BPF_JA) {
        if (k >= p.length - pc - 1) return `BPF jump out of range at ${pc}`
      } else if (pc + 1 + p.jt[pc] >= p.length || pc + 1 + p.jf[pc] >= p.length) {
        return `BPF conditional jump out of range at ${pc}`
      }
    } else if ((cls === BPF_ST || cls === BPF_STX) && k >= MEMWORDS) {
      return `BPF scratch store out of range at ${pc}`
    } else if ((cls === BPF_LD || cls === BPF_LDX) && (code & 0xe0) === BPF_MEM && k >= MEMWORDS) {
      return `BPF scratch load out of range at ${pc}`
    }
  }
  return (p.code[p.length - 1] & 0x07) === BPF_RET ? undefined : 'BPF program does not end with a return'
}

/**
 * Run a program over one packet: p is the captured bytes, wireLen the length
 * on the wire (what BPF_LEN loads). Returns the snap length the filter asks
 * for; 0 means the packet does not match.
 */
export function runBpf(prog: BpfProgram, p: Uint8Array, wireLen: number): number {
  const {code, jt, jf, k} = prog
  const buflen = p.length
  const mem = new Uint32Array(MEMWORDS)
  let A = 0
  let X = 0
  for (let pc = 0; pc < prog.length; pc++) {
    const c = code[pc]
    const kk = k[pc]
    switch (c & 0x07) {
      case BPF_RET:
        return (c & 0x18) === BPF_RVAL_A ? A : (c & 0x18) === BPF_RVAL_X ? X : kk
      case BPF_LD:
      case BPF_LDX: {
        const mode = c & 0xe0
        let v: number
        if (mode === BPF_IMM) v = kk
        else if (mode === BPF_LEN) v = wireLen >>> 0
        else if (mode === BPF_MEM) v = mem[kk]
        else if (mode === BPF_MSH) {
          if (kk >= buflen) return 0
          v = (p[kk] & 0x0f) << 2
        } else if (mode === BPF_ABS || mode === BPF_IND) {
          const at = mode === BPF_ABS ? kk : (X + kk) >>> 0
          const size = c & 0x18
          if (size === BPF_W) {
            if (at + 4 > buflen) return 0
            v = ((p[at] << 24) | (p[at + 1] << 16) | (p[at + 2] << 8) | p[at + 3]) >>> 0
          } else if (size === BPF_H) {
            if (at + 2 > buflen) return 0
            v = (p[at] << 8) | p[at + 1]
          } else if (size === BPF_B) {
            if (at >= buflen) return 0
            v = p[at]
          } else return 0
        } else return 0
        if ((c & 0x07) === BPF_LD) A = v
        else X = v
        break
      }
      case BPF_ST:
        mem[kk] = A
        break
      case BPF_STX:
        mem[kk] = X
        break
      case BPF_ALU: {
        const op = c & 0xf0
        if (op === BPF_NEG) {
          A = -A >>> 0
          break
        }
        const v = (c & BPF_X) === BPF_X ? X : kk
        switch (op) {
          case BPF_ADD: A = (A + v) >>> 0; break
          case BPF_SUB: A = (A - v) >>> 0; break
          case BPF_MUL: A = Math.imul(A, v) >>> 0; break
          case BPF_DIV: if (v === 0) return 0; A = Math.floor(A / v) >>> 0; break
          case BPF_MOD: if (v === 0) return 0; A = (A % v) >>> 0; break
          case BPF_OR: A = (A | v) >>> 0; break
          case BPF_AND: A = (A & v) >>> 0; break
          case BPF_XOR: A = (A ^ v) >>> 0; break
          case BPF_LSH: A = v >= 32 ? 0 : (A << v) >>> 0; break
          case BPF_RSH: A = v >= 32 ? 0 : A >>> v; break
          default: return 0
        }
        break
      }
      case BPF_JMP: {
        const op = c & 0xf0
        if (op === BPF_JA) {
          pc += kk
          break
        }
        const v = (c & BPF_X) === BPF_X ? X : kk
        let taken: boolean
        if (op === BPF_JEQ) taken = A === v
        else if (op === BPF_JGT) taken = A > v
        else if (op === BPF_JGE) taken = A >= v
        else if (op === BPF_JSET) taken = (A & v) !== 0
        else return 0
        pc += taken ? jt[pc] : jf[pc]
        break
      }
      case BPF_MISC:
        if ((c & 0xf8) === BPF_TXA) A = X
        else X = A
        break
    }
  }
  return 0
}
