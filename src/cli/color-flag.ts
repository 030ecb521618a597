import {Flags} from '@oclif/core'

import type {ColorChoice} from '../render/color.js'

/**
 * --color=auto|always|never and --no-color, as ls, grep and git take them,
 * on every command; NO_COLOR and FORCE_COLOR still count under auto
 * (src/render/color.ts colorsFor decides).
 */
export const colorFlags = {
  color: Flags.option({
    options: ['auto', 'always', 'never'] as const,
    default: 'auto' as const,
    description: 'colour: auto (on a terminal, unless NO_COLOR is set), always, never',
    helpGroup: 'OUTPUT',
  })(),
  'no-color': Flags.boolean({description: 'no colour (same as --color=never)', helpGroup: 'OUTPUT'}),
}

export function colorChoice(flags: {readonly color?: ColorChoice; readonly 'no-color'?: boolean}): ColorChoice {
  return flags['no-color'] ? 'never' : (flags.color ?? 'auto')
}
