// The package's ESM build, by path: its "main" is a UMD bundle whose lazy require()s esbuild cannot follow.
import {parse as parseJsonc, type ParseError, printParseErrorCode} from 'jsonc-parser/lib/esm/main.js'

/** jsonc-parser's error names, in words. */
const WORDS: Readonly<Record<string, string>> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'a property name (in double quotes) was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: "':' was expected",
  CommaExpected: "',' was expected",
  CloseBraceExpected: "'}' was expected",
  CloseBracketExpected: "']' was expected",
  EndOfFileExpected: 'more text after the JSON value',
  InvalidCommentToken: 'comments are not JSON',
  UnexpectedEndOfComment: 'comments are not JSON',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'a number is cut short',
  InvalidUnicode: 'a bad \\u escape',
  InvalidEscapeCharacter: 'a bad escape in a string',
  InvalidCharacter: 'a control character inside a string',
}

/**
 * Where text stops being JSON, without quoting any of it: "at line 3, column
 * 12: unexpected character". V8's JSON.parse message quotes the text around
 * the error (`Unexpected token 'r', "root:$y$j9"...`), which for `--json
 * @/etc/shadow` would print the file; jsonc-parser (VS Code's, with comments
 * and trailing commas refused) locates the error as an offset instead.
 */
export function locateJsonError(text: string): string {
  const errors: ParseError[] = []
  parseJsonc(text, errors, {disallowComments: true, allowTrailingComma: false, allowEmptyContent: false})
  const first = errors[0]
  if (first === undefined) return 'it does not parse'
  const before = text.slice(0, first.offset)
  const line = before.split('\n').length
  const column = first.offset - before.lastIndexOf('\n')
  const name = printParseErrorCode(first.error)
  return `at line ${line}, column ${column}: ${WORDS[name] ?? name}`
}
