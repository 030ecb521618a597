import {Flags} from '@oclif/core'

/**
 * -p/--port as every command takes it: a port or a range (8000-8100),
 * repeatable or comma separated, one value per occurrence. Parse the values
 * with parsePortRange (src/net/net-addr.ts).
 */
export function portFlag(description: string) {
  return Flags.string({char: 'p', description: `${description} (repeatable, or comma separated)`, multiple: true, multipleNonGreedy: true, delimiter: ','})
}
