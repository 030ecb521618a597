// -Y EXPR compiled once into a predicate over calls, then run on every call
// event. Semantics follow tshark's display filters:
//
// - A comparison with a field the call does not have is false (an unanswered
//   call has no latency: `latency > 5ms` and `latency <= 5ms` are both false);
//   a bare field is true when the call has it (`err_name`, `resp.order_id`).
// - A field with several values (process) matches when any value does.
// - Durations take units (`5ms`, `1.5s`, `2m`); a bare number is ms.
// - Text fields compare as text: `msg_id == 4754...` compares the digits typed.
// - States may be written bare: `state == unanswered`.

import {err, ok, type Result, UsageError} from '../../errors.js'
import {CALL_STATES, type CallView} from '../fields/call-view.js'
import {type FieldContext, type FieldRef, type FieldValue, fieldKind, fieldValue, resolveField} from '../fields/fields.js'
import {type Ast, locate, parseDisplayFilter} from './parse.js'

export interface DisplayFilter {
  /** The expression as given. */
  readonly text: string
  /** The field names it reads (req.* and resp.* need decoded payloads). */
  readonly fields: readonly string[]
  test(c: CallView, ctx: FieldContext): boolean
}

export interface DisplayFilterOptions {
  /** Payloads are decoded (--proto): req.FIELD and resp.FIELD may be named. */
  readonly payloads: boolean
}

type Pred = (c: CallView, ctx: FieldContext) => boolean
type Literal = {readonly value: string | number | boolean; readonly raw: string; readonly duration: boolean}
type Operand = {readonly field: FieldRef} | {readonly literal: Literal}

const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=', 'contains', 'matches'])
const FLIP: Readonly<Record<string, string>> = {'<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!='}
const STATES = new Set<string>(CALL_STATES)

class Problem extends Error {
  constructor(
    message: string,
    readonly index: number,
    /** Said after the column: (did you mean method?). */
    readonly after = '',
  ) {
    super(message)
  }
}

const FIELDS_HINT = 'fields and operators: rpcdiag sniff --help (-Y); -T fields -e takes the same names'

function bad(message: string, at: number, after = ''): UsageError {
  return new UsageError('BAD_DISPLAY_FILTER', `-Y: ${message} at column ${at + 1}${after}`, {hint: FIELDS_HINT})
}

export function compileDisplayFilter(text: string, opts: DisplayFilterOptions): Result<DisplayFilter, UsageError> {
  const parsed = parseDisplayFilter(text)
  if (!parsed.ok) return err(bad(parsed.error.message, parsed.error.index))
  const fields = new Set<string>()
  try {
    const pred = new Compiler(text, opts, fields).predicate(parsed.value)
    return ok({text, fields: [...fields], test: pred})
  } catch (e) {
    if (e instanceof Problem) return err(bad(e.message, e.index, e.after))
    throw e
  }
}

/** `a.b.c` of identifiers, or undefined. */
function dottedName(n: Ast): string | undefined {
  if (n.type === 'Identifier') return n.name as string
  if (n.type === 'MemberExpression' && n.computed !== true) {
    const left = dottedName(n.object as Ast)
    const right = (n.property as Ast).type === 'Identifier' ? ((n.property as Ast).name as string) : undefined
    return left === undefined || right === undefined ? undefined : `${left}.${right}`
  }
  return undefined
}

function present(v: FieldValue): boolean {
  if (v === undefined || v === '') return false
  return !Array.isArray(v) || v.length > 0
}

const NUMERIC = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?$/i

function asNumber(v: string | number | boolean): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  return NUMERIC.test(v.trim()) ? Number(v) : undefined
}

function equal(a: string | number | boolean, b: Literal): boolean {
  if (typeof a === 'string') {
    if (typeof b.value === 'string') return a === b.value
    // Digits compare as typed; as numbers only within a double's exact integers (a 20-digit msg_id is not).
    if (a === b.raw) return true
    const x = asNumber(a)
    const y = asNumber(b.value)
    if (x === undefined || y === undefined) return false
    if (Number.isInteger(x) && !Number.isSafeInteger(x)) return false
    return x === y
  }
  const x = asNumber(b.value)
  return x !== undefined && asNumber(a) === x
}

function order(a: string | number | boolean, b: Literal): number | undefined {
  const x = asNumber(a)
  const y = asNumber(b.value)
  if (x !== undefined && y !== undefined) return x - y
  if (typeof a === 'string' && typeof b.value === 'string') return a < b.value ? -1 : a > b.value ? 1 : 0
  return undefined
}

function comparer(op: string, b: Literal, regex: RegExp | undefined): (a: string | number | boolean) => boolean {
  switch (op) {
    case '==':
      return (a) => equal(a, b)
    case '!=':
      return (a) => !equal(a, b)
    case 'contains':
      return (a) => String(a).includes(String(b.value))
    case 'matches':
      return (a) => regex!.test(String(a))
    default: {
      const test = op === '<' ? (d: number) => d < 0 : op === '<=' ? (d: number) => d <= 0 : op === '>' ? (d: number) => d > 0 : (d: number) => d >= 0
      return (a) => {
        const d = order(a, b)
        return d !== undefined && test(d)
      }
    }
  }
}

class Compiler {
  constructor(
    private readonly text: string,
    private readonly opts: DisplayFilterOptions,
    private readonly fields: Set<string>,
  ) {}

  private at(needle: string): number {
    return locate(this.text, needle)
  }

  predicate(n: Ast): Pred {
    switch (n.type) {
      case 'BinaryExpression': {
        const op = n.operator as string
        if (op === '&&' || op === 'and') {
          const [l, r] = [this.predicate(n.left as Ast), this.predicate(n.right as Ast)]
          return (c, x) => l(c, x) && r(c, x)
        }
        if (op === '||' || op === 'or') {
          const [l, r] = [this.predicate(n.left as Ast), this.predicate(n.right as Ast)]
          return (c, x) => l(c, x) || r(c, x)
        }
        if (COMPARE.has(op)) {
          // `not state == ok`, `!method contains "x"`: the negation of the comparison, as tshark reads it.
          const left = n.left as Ast
          if (left.type === 'UnaryExpression' && (left.operator === '!' || left.operator === 'not')) {
            const inner = this.predicate({type: 'BinaryExpression', operator: op, left: left.argument as Ast, right: n.right as Ast})
            return (c, x) => !inner(c, x)
          }
          return this.comparison(op, left, n.right as Ast)
        }
        throw new Problem(`operator "${op}" is not supported (use ==, !=, <, <=, >, >=, contains, matches, &&, ||, !)`, this.at(op))
      }
      case 'UnaryExpression': {
        const op = n.operator as string
        if (op !== '!' && op !== 'not') throw new Problem(`operator "${op}" is not supported here`, this.at(op))
        const inner = this.predicate(n.argument as Ast)
        return (c, x) => !inner(c, x)
      }
      case 'Literal':
        if (typeof n.value === 'boolean') {
          const v = n.value
          return () => v
        }
        throw new Problem(`${n.raw as string} alone is not a condition (compare a field with it: method == ${n.raw as string})`, this.at(n.raw as string))
      default: {
        const o = this.operand(n)
        if ('literal' in o) throw new Problem(`${o.literal.raw} alone is not a condition`, this.at(o.literal.raw))
        const ref = o.field
        return (c, x) => present(fieldValue(ref, c, x))
      }
    }
  }

  private operand(n: Ast, words = false): Operand {
    if (n.type === 'Literal') {
      const v = n.value
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new Problem(`${n.raw as string} is not a value rpcdiag compares`, this.at(n.raw as string))
      return {literal: {value: v, raw: n.raw as string, duration: n.duration === true}}
    }
    // -5: a negative number.
    if (n.type === 'UnaryExpression' && n.operator === '-' && (n.argument as Ast).type === 'Literal' && typeof (n.argument as Ast).value === 'number') {
      const a = n.argument as Ast
      return {literal: {value: -(a.value as number), raw: `-${a.raw as string}`, duration: a.duration === true}}
    }
    if (n.type === 'BinaryExpression') {
      const op = n.operator as string
      throw new Problem(`operator "${op}" is not supported here (compare a field with a value: ==, !=, <, <=, >, >=, contains, matches)`, this.at(op))
    }
    const name = dottedName(n)
    if (name === undefined) throw new Problem(`expected a field name or a value, not ${describe(n)}`, this.at(firstWord(n)))
    const r = resolveField(name, {payloads: this.opts.payloads})
    if (r.ok) {
      this.fields.add(name)
      return {field: r.ref}
    }
    // A bare word compared with state: state == unanswered.
    if (STATES.has(name) || (words && !name.includes('.'))) return {literal: {value: name, raw: name, duration: false}}
    throw new Problem(r.message, this.at(name), r.after)
  }

  private comparison(op: string, leftNode: Ast, rightNode: Ast): Pred {
    let left = this.operand(leftNode)
    let right = this.operand(rightNode, 'field' in left && left.field.name === 'state')
    if ('literal' in left && 'field' in right) {
      if (op === 'contains' || op === 'matches') throw new Problem(`put the field on the left of ${op}`, this.at(op))
      ;[left, right] = [right, left]
      op = FLIP[op]
    }
    if (!('field' in left)) throw new Problem('a comparison needs a field on one side', this.at(op))
    const ref = left.field
    if ('field' in right) {
      // Two fields: compare their values on the same call.
      const other = right.field
      return (c, x) => {
        const a = fieldValue(ref, c, x)
        const b = fieldValue(other, c, x)
        if (!present(a) || !present(b) || Array.isArray(a) || Array.isArray(b)) return false
        const lit = {value: b as string | number | boolean, raw: String(b), duration: false}
        return comparer(op, lit, undefined)(a as string | number | boolean)
      }
    }
    const lit = right.literal
    this.checkTypes(ref, op, lit)
    let regex: RegExp | undefined
    if (op === 'matches') {
      try {
        regex = new RegExp(String(lit.value))
      } catch (e) {
        throw new Problem(`bad regular expression ${lit.raw}: ${(e as Error).message}`, this.at(lit.raw))
      }
    }
    const cmp = comparer(op, lit, regex)
    return (c, x) => {
      const v = fieldValue(ref, c, x)
      if (v === undefined) return false
      if (Array.isArray(v)) return v.some((one) => cmp(one))
      return cmp(v as string | number | boolean)
    }
  }

  /** Mistakes the types show before any call does: a duration against text, a state that does not exist. */
  private checkTypes(ref: FieldRef, op: string, lit: Literal): void {
    const kind = fieldKind(ref)
    if (kind === 'ms' && typeof lit.value !== 'number') throw new Problem(`${ref.name} is a duration: compare it with a number of ms or with units (5ms, 1.5s)`, this.at(lit.raw))
    if (kind !== 'ms' && kind !== 'time' && lit.duration) throw new Problem(`${lit.raw} is a duration but ${ref.name} is not`, this.at(lit.raw))
    if (ref.name === 'state' && (op === '==' || op === '!=') && !STATES.has(String(lit.value))) {
      throw new Problem(`no state "${String(lit.value)}": states are ${CALL_STATES.join(', ')}`, this.at(lit.raw))
    }
  }
}

function firstWord(n: Ast): string {
  if (n.type === 'Identifier') return n.name as string
  if (n.type === 'Literal') return n.raw as string
  for (const k of ['callee', 'object', 'left', 'test', 'argument']) if (n[k] !== undefined && typeof n[k] === 'object') return firstWord(n[k] as Ast)
  return '('
}

function describe(n: Ast): string {
  switch (n.type) {
    case 'CallExpression':
      return 'a function call'
    case 'ArrayExpression':
      return 'a list'
    case 'ConditionalExpression':
      return 'a ?: choice'
    case 'Compound':
    case 'SequenceExpression':
      return 'several expressions'
    case 'MemberExpression':
      return 'an index'
    default:
      return `a ${n.type}`
  }
}
