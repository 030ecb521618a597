// Output that fits the terminal: at 80 columns no line wraps. Long fields
// lose their middle to "…" (cli-truncate, which keeps colour codes whole and
// counts wide characters as string-width does); prose wraps onto indented
// lines (wrap-ansi). A pipe or a file gets full lines.
//
// Those libraries are loaded only for a width to fit (fittedWidth): loading
// them starts two Intl.Segmenters (string-width's, slice-ansi's), ~15 ms of
// ICU data, which a pipe, the usual place of a one-shot `sniff --read`, never
// uses.
//
//   const width = await fittedWidth(process.stdout, process.env)   // undefined on a pipe
//   fitLine(line, width)

/** The libraries that measure and cut, once fittedWidth (or loadFitting) has loaded them. */
interface Fitting {
  readonly stringWidth: typeof import('string-width').default
  readonly cliTruncate: typeof import('cli-truncate').default
  readonly wrapAnsi: typeof import('wrap-ansi').default
}

let fitting: Fitting | undefined

/** Loads what fitting a line to a width needs (once). */
export async function loadFitting(): Promise<void> {
  if (fitting !== undefined) return
  const [w, t, a] = await Promise.all([import('string-width'), import('cli-truncate'), import('wrap-ansi')])
  fitting = {stringWidth: w.default, cliTruncate: t.default, wrapAnsi: a.default}
}

function loaded(): Fitting {
  if (fitting === undefined) throw new Error('fit-width: a width to fit without loadFitting() (use fittedWidth)')
  return fitting
}

/** Columns `text` takes on a terminal (wide characters 2, colour codes 0), as string-width counts them; needs loadFitting(). */
export function stringWidth(text: string): number {
  return loaded().stringWidth(text)
}

/** outputWidth, with what fitting to it needs loaded when there is one. */
export async function fittedWidth(stream: {isTTY?: boolean; columns?: number}, env: NodeJS.ProcessEnv): Promise<number | undefined> {
  const width = outputWidth(stream, env)
  if (width !== undefined) await loadFitting()
  return width
}

/**
 * The width to fit, or undefined for full lines (fittedWidth also loads what
 * fitting needs): $COLUMNS when set to a
 * number (as ls, ps and less honour it, on a pipe too), else the terminal's
 * width when stdout is one, else none.
 */
export function outputWidth(stream: {isTTY?: boolean; columns?: number}, env: NodeJS.ProcessEnv): number | undefined {
  const fromEnv = Number.parseInt(env.COLUMNS ?? '', 10)
  if (Number.isInteger(fromEnv) && fromEnv > 0) return Math.max(fromEnv, 20)
  if (stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0) return Math.max(stream.columns, 20)
  return undefined
}

/** Shortest a field is elided to; ids (#msg_id) give more, as the fewest read them whole. */
const MIN_FIELD = 8
const MIN_ID = 6

function floor(word: string): number {
  return word.startsWith('#') ? MIN_ID : MIN_FIELD
}

/**
 * One line in `width` columns: the longest space-separated fields after the
 * first (the time) lose their middle first, then, if it is still too long, the
 * line loses its end. Undefined width: the line as it is.
 */
export function fitLine(line: string, width: number | undefined): string {
  if (width === undefined) return line
  const {stringWidth, cliTruncate} = loaded()
  if (stringWidth(line) <= width) return line
  const words = line.split(' ')
  const widths = words.map((w) => stringWidth(w))
  let excess = widths.reduce((a, b) => a + b, 0) + words.length - 1 - width
  // Ids first, then the longest fields, leftmost first (addresses before the method name).
  const order = (i: number) => (words[i].startsWith('#') ? 1000 : 0) + widths[i]
  while (excess > 0) {
    let longest = -1
    for (let i = 1; i < words.length; i++) if (widths[i] > floor(words[i]) && (longest < 0 || order(i) > order(longest))) longest = i
    if (longest < 0) break
    const to = Math.max(floor(words[longest]), widths[longest] - excess)
    words[longest] = cliTruncate(words[longest], to, {position: 'middle'})
    excess -= widths[longest] - to
    widths[longest] = to
  }
  const fitted = words.join(' ')
  return excess > 0 ? cliTruncate(fitted, width, {position: 'end'}) : fitted
}

/** Prose in `width` columns, continued on lines indented by `indent`. */
export function wrapLine(line: string, width: number | undefined, indent = '  '): string[] {
  if (width === undefined) return [line]
  const {stringWidth, wrapAnsi} = loaded()
  if (stringWidth(line) <= width) return [line]
  // The line's own indent stays; its continuation lines are indented further.
  const lead = /^ */.exec(line)![0]
  const [first, ...rest] = wrapAnsi(line.slice(lead.length), width - lead.length, {hard: true, trim: true}).split('\n')
  if (rest.length === 0) return [lead + first]
  const more = wrapAnsi(rest.join(' '), width - lead.length - indent.length, {hard: true, trim: true}).split('\n')
  return [lead + first, ...more.map((l) => lead + indent + l)]
}

