// -Y's grammar is jsep's (a small, well-kept JavaScript-expression parser that
// reports the index of a syntax error), taught tshark's words and durations:
//
//   method == "Order.makeOrder" && (err_code != 0 || latency > 5ms || state == "unanswered")
//   not (state == ok) and method contains "make"      req.price > 100
//
// jsep keeps its operator tables on the class, so they are set up here, once,
// when this module loads; nothing else in rpcdiag uses jsep.

import jsep from 'jsep'

import {err, ok, type Result} from '../../errors.js'

/** tshark's words beside the C operators; contains and matches compare as relational operators do. */
jsep.addBinaryOp('or', 1)
jsep.addBinaryOp('and', 2)
jsep.addBinaryOp('contains', 7)
jsep.addBinaryOp('matches', 7)
jsep.addUnaryOp('not')

/** Duration units a number may carry: ms = value * mul / div (divided, so 7500us is exactly 7.5). */
const UNIT_MS: Readonly<Record<string, readonly [number, number]>> = {ns: [1, 1e6], us: [1, 1000], µs: [1, 1000], ms: [1, 1], s: [1000, 1], m: [60_000, 1], min: [60_000, 1], h: [3_600_000, 1]}
const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(ns|us|\u00b5s|ms|min|s|m|h)(?![\w.])/

// A number with a unit (5ms, 1.5s) is one literal: its value in ms.
jsep.hooks.add('gobble-token', function durationLiteral(env) {
  const ctx = this
  const m = DURATION.exec(ctx.expr.slice(ctx.index, ctx.index + 32))
  if (m === null) return
  ctx.index += m[0].length
  env.node = {type: 'Literal', value: (Number(m[1]) * UNIT_MS[m[2]][0]) / UNIT_MS[m[2]][1], raw: m[0], duration: true} as jsep.Literal
})

export type Ast = jsep.Expression

/** A syntax error: what, and the 0-based index in the text. */
export interface SyntaxProblem {
  readonly message: string
  readonly index: number
}

export function parseDisplayFilter(text: string): Result<Ast, SyntaxProblem> {
  if (text.trim() === '') return err({message: 'empty expression', index: 0})
  try {
    return ok(jsep(text))
  } catch (e) {
    const x = e as Error & {index?: number; description?: string}
    const description = x.description ?? x.message
    return err({message: description.charAt(0).toLowerCase() + description.slice(1), index: x.index ?? 0})
  }
}

/** Where `needle` first stands in the text outside string literals (0-based), for errors about a parsed node. */
export function locate(text: string, needle: string, word = /^\w/.test(needle)): number {
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quote === undefined && /^["']/.test(needle) && text.startsWith(needle, i)) return i
    if (quote !== undefined) {
      if (ch === '\\') i++
      else if (ch === quote) quote = undefined
      continue
    }
    if (ch === '"' || ch === "'") {
      quote = ch
      continue
    }
    if (!text.startsWith(needle, i)) continue
    if (word && (/[\w.]/.test(text[i - 1] ?? '') || /[\w]/.test(text[i + needle.length] ?? ''))) continue
    return i
  }
  return 0
}
