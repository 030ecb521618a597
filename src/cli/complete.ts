import {readdirSync} from 'node:fs'
import {networkInterfaces} from 'node:os'

import {FAIL_ON_KINDS} from '../sniff/fail-on.js'
import {CALL_FIELDS} from '../sniff/fields/fields.js'
import {STATE_FILTER_NAMES} from '../sockets/states.js'

// Shell completion of what a static list cannot know: method names from the
// .proto files on the command line, socket states as ss spells them, and the
// interfaces of this machine. The hidden `rpcdiag __complete` prints these;
// the glue that @oclif/plugin-autocomplete's scripts get (completion-hook.ts)
// asks it first and falls back to the plugin's commands and flags.

/** What completion needs to know of a command's flags. */
export interface FlagShape {
  readonly name: string
  readonly char?: string
  readonly type: 'boolean' | 'option'
  readonly options?: readonly string[]
}

export interface CompletionSources {
  /** Method names (Service.method) of the .proto files given, or [] when none load. */
  readonly methods: (proto: readonly string[], importPaths: readonly string[]) => Promise<readonly string[]>
  readonly interfaces: () => readonly string[]
}

/** tshark's -E settings, as typed. */
const FIELD_OPTIONS = ['header=y', 'header=n', 'separator=,', 'separator=/t', 'separator=/s', 'quote=d', 'quote=s', 'quote=n', 'aggregator=,']

/** ss's words that start a filter term, and its joiners. */
const SS_KEYWORDS = ['state', 'exclude', 'sport', 'dport', 'src', 'dst', 'not', 'and', 'or']
/** State names as ss spells them, beside rpcdiag's own. */
const STATE_WORDS = [...new Set([...STATE_FILTER_NAMES, 'listening', 'unconnected'])]

/** The interfaces a capture can use: /sys/class/net (down ones too), else what node sees; and "any". */
export function localInterfaces(): string[] {
  let names: string[]
  try {
    names = readdirSync('/sys/class/net')
  } catch {
    names = Object.keys(networkInterfaces())
  }
  return ['any', ...names.sort()]
}

/**
 * The candidates for the last word of `words` (the words after the program
 * name, the command first; the last one is being typed, maybe empty). [] means
 * "nothing special here": the caller falls back to plain flag and command
 * completion.
 */
export async function completeWords(words: readonly string[], flags: readonly FlagShape[], sources: CompletionSources): Promise<string[]> {
  if (words.length < 2) return []
  const [command, ...rest] = words
  // bash splits `--color=al` into "--color" "=" "al".
  // bash then replaces only the word after "=": the candidates go without the flag.
  const joined: string[] = []
  let split = false
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '=' && joined.length > 0 && joined.at(-1)!.startsWith('-')) {
      joined[joined.length - 1] += '=' + (rest[++i] ?? '')
      split = i >= rest.length - 1
    } else joined.push(rest[i])
  }
  const cur = joined.at(-1) ?? ''
  const before = joined.slice(0, -1)
  const byName = (w: string) => flags.find((f) => (w.startsWith('--') ? f.name === w.slice(2) : w.length === 2 && f.char === w[1]))

  // A flag's value: --flag VALUE, or --flag=VALUE being typed.
  const eq = /^(--[\w-]+)=(.*)$/.exec(cur)
  const valueOf = eq !== null ? byName(eq[1]) : before.length > 0 ? byName(before.at(-1)!) : undefined
  const prefix = eq !== null && !split ? `${eq[1]}=` : ''
  if (valueOf !== undefined && valueOf.type === 'option' && (eq !== null || before.length > 0)) {
    let values: readonly string[] = []
    if (valueOf.options !== undefined) values = valueOf.options
    else if (command === 'sockets' && valueOf.name === 'state') values = STATE_WORDS
    else if (command === 'sniff' && valueOf.name === 'interface') values = sources.interfaces()
    // -e takes the field names -Y uses; --fail-on its kinds; -E tshark's options.
    else if (command === 'sniff' && valueOf.name === 'field') values = CALL_FIELDS.map((f) => f.name)
    else if (command === 'sniff' && valueOf.name === 'fail-on') values = [...FAIL_ON_KINDS, 'any']
    else if (command === 'sniff' && valueOf.name === 'field-option') values = FIELD_OPTIONS
    return values.map((v) => prefix + v)
  }
  if (cur.startsWith('-')) return []

  // Positional words: skip flags and the values they take.
  const positional: string[] = []
  const proto: string[] = []
  const importPaths: string[] = []
  for (let i = 0; i < before.length; i++) {
    const w = before[i]
    if (!w.startsWith('-') || w === '-') {
      positional.push(w)
      continue
    }
    const [name, inline] = w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, undefined]
    const f = byName(name)
    if (f?.type !== 'option') continue
    const value = inline ?? before[++i]
    if (value === undefined) continue
    if (f.name === 'proto') proto.push(value)
    if (f.name === 'import-path') importPaths.push(value)
  }

  if ((command === 'call' || command === 'methods') && positional.length === 0) return [...(await sources.methods(proto, importPaths))]
  if (command === 'sockets') {
    const prev = positional.at(-1)
    if (prev === 'state' || prev === 'exclude' || prev === 'excl') return STATE_WORDS
    return SS_KEYWORDS
  }
  return []
}
