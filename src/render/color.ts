import {Chalk, type ChalkInstance} from 'chalk'

/** --color: auto (a terminal, unless NO_COLOR), always, never; --no-color is never. */
export type ColorChoice = 'auto' | 'always' | 'never'

/**
 * A chalk instance for one output stream, the one place that decides colour:
 * --color=always or never wins; with auto (the default) never when NO_COLOR
 * is set (https://no-color.org), forced on by FORCE_COLOR, else only on a TTY.
 * Passed to renderers, never a global.
 */
export function colorsFor(stream: {isTTY?: boolean} = process.stdout, env: NodeJS.ProcessEnv = process.env, choice: ColorChoice = 'auto'): ChalkInstance {
  if (choice === 'always') return new Chalk({level: 1})
  if (choice === 'never') return new Chalk({level: 0})
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return new Chalk({level: 0})
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return new Chalk({level: 1})
  return new Chalk({level: stream.isTTY ? 1 : 0})
}

/** Printable width of a string that may hold ANSI colour codes. */
export function visibleWidth(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001B\[[0-9;]*m/g, '').length
}
