// `rpcdiag sniff`'s parsed flags and capture-filter words as the options
// runSniffCommand takes: the one mapping, for the command (commands/sniff.ts)
// and its direct run (direct.ts) alike, with the checks that come before any
// capture (a stray flag-like word, another tool's habit, --fail-on, --proto).

import {colorChoice} from '../cli/color-flag.js'
import {habitHint} from '../cli/habits.js'
import {schemaFromFlags} from '../cli/proto-flags.js'
import {err, ok, type Result, type RpcDiagError, UsageError} from '../errors.js'
import {parseFailOn} from '../sniff/fail-on.js'
import type {SniffFlags} from './flags.js'
import type {SniffCommandOptions} from './options.js'

/**
 * The options of a sniff run, and its colour choice, from its flags and the
 * words after them (`words`: the parse's arguments in the order typed; oclif's
 * argv misorders repeated words, "src port 1 and dst port 2"). `bin` names
 * the command in a habit's hint.
 */
export async function sniffOptions(flags: SniffFlags, words: readonly string[], bin: string): Promise<Result<{options: SniffCommandOptions; color: 'auto' | 'always' | 'never'}, RpcDiagError>> {
  // Not strict: the words after the flags are a capture filter, as tcpdump takes them. A word like a flag is a typo, not a filter.
  const stray = words.find((w) => w.startsWith('-'))
  if (stray !== undefined) return err(new UsageError('BAD_FLAGS', `unknown flag ${stray}`))
  // ss's words (state close-wait, sport = :80) belong to sockets.
  const habit = habitHint(bin, words, 'sniff')
  if (habit !== undefined) return err(new UsageError('BAD_ARGS', `unexpected arguments ${words.join(' ')}: that is ${habit.what}`, {hint: `try: ${habit.instead}`}))
  const failOn = parseFailOn(flags['fail-on'] ?? [])
  if (!failOn.ok) return failOn
  const schema = await schemaFromFlags(flags)
  if (!schema.ok) return schema
  const format = flags.json ? 'ndjson' : flags.format === 'json' ? 'ndjson' : (flags.format ?? 'text')
  return ok({
    color: colorChoice(flags),
    options: {
      listInterfaces: flags['list-interfaces'],
      read: flags.read,
      interface: flags.interface,
      write: flags.write,
      ports: flags.port,
      hosts: flags.host,
      filter: flags.filter,
      filterWords: words,
      count: flags.count,
      durationMs: flags.duration,
      protocol: flags.protocol,
      timeoutMs: flags.timeout,
      schema: schema.value,
      verbose: flags.verbose,
      hex: flags.hex,
      frames: flags.frames,
      format,
      fields: flags.field ?? [],
      fieldOptions: flags['field-option'] ?? [],
      displayFilter: flags['display-filter'],
      quiet: flags.quiet,
      metricsOnly: flags['metrics-only'],
      summary: flags.summary,
      histogram: flags.histogram,
      failOn: failOn.value,
      bufferLimit: flags['buffer-limit'],
      maxBuffered: flags['max-buffered'],
      backend: flags.backend,
      snaplen: flags.snaplen,
      processes: flags.processes,
      report: flags.report,
      metrics: flags.metrics,
      metricsMaxMethods: flags['metrics-max-methods'],
      netns: flags.netns,
    },
  })
}
