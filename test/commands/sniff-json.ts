// rpcdiag sniff --json run in-process: the NDJSON lines, the summary (the last
// line, checked to be one), and the lines of one type.
import {expect} from 'vitest'

import Sniff from '../../commands/sniff.js'
import {runCommand} from '../rpc/helpers/run-command.js'

export type Json = Record<string, any>

export async function sniffJson(args: string[]): Promise<{lines: Json[]; summary: Json; of: (type: string) => Json[]; stderr: string}> {
  const out = await runCommand(Sniff, [...args, '--json'])
  if (out.error !== undefined) throw new Error(`sniff failed (${out.exitCode}): ${out.error.message}\n${out.stderr}`)
  const lines = out.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Json)
  const summary = lines.at(-1)!
  expect(summary.type).toBe('summary')
  return {lines, summary, of: (type) => lines.filter((l) => l.type === type), stderr: out.stderr}
}
