// Completion of sniff's -e fields, --fail-on kinds and -E settings (the bash
// round trip is test/cli/completion.test.ts; this is the word list it gets).
import {describe, expect, it} from 'vitest'

import {completeWords, type FlagShape} from '../../src/cli/complete.js'

const FLAGS: FlagShape[] = [
  {name: 'field', char: 'e', type: 'option'},
  {name: 'field-option', char: 'E', type: 'option'},
  {name: 'fail-on', type: 'option'},
  {name: 'quiet', char: 'q', type: 'boolean'},
]
const sources = {methods: async () => [], interfaces: () => ['any', 'lo']}

describe('sniff completion', () => {
  it('offers the field names after -e, the kinds after --fail-on, the settings after -E', async () => {
    const fields = await completeWords(['sniff', '-T', 'fields', '-e', 'la'], FLAGS, sources)
    expect(fields).toContain('latency')
    expect(fields).toContain('req.size')
    expect(fields).toContain('msg_id')
    expect(await completeWords(['sniff', '--fail-on', ''], FLAGS, sources)).toEqual(['unanswered', 'error', 'malformed', 'duplicate', 'uncertain', 'peer-safety', 'any'])
    expect(await completeWords(['sniff', '-E', 'he'], FLAGS, sources)).toContain('header=y')
    expect(await completeWords(['sniff', '-q', ''], FLAGS, sources)).toEqual([])
  })
})
