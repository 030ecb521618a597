import {execFileSync} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it, vi} from 'vitest'

import {runCli} from '../rpc/helpers/cli-process.js'

// Shell completion as a user turns it on: `rpcdiag autocomplete bash` (the
// @oclif/plugin-autocomplete command; rpcdiag's postrun hook adds the dynamic
// part), then a real bash asking for completions the way it does on TAB.

vi.setConfig({testTimeout: 180_000})
const ROOT = process.cwd()

describe('shell completion', () => {
  it('completes methods from --proto, states, interfaces and flag options in bash; commands and flags as the plugin does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rpcdiag-complete-'))
    const cache = join(dir, 'cache')
    const setup = await runCli(['autocomplete', 'bash'], {env: {XDG_CACHE_HOME: cache}})
    expect(setup.code, setup.stderr).toBe(0)
    expect(setup.stdout).toContain('rpcdiag autocomplete script bash')
    const script = join(cache, 'rpcdiag', 'autocomplete', 'functions', 'bash', 'rpcdiag.bash')
    expect(readFileSync(join(cache, 'rpcdiag', 'autocomplete', 'zsh_setup'), 'utf8')).toContain('compdef _rpcdiag_dynamic rpcdiag')
    // `rpcdiag` on PATH, as after npm link: here the sources.
    writeFileSync(join(dir, 'rpcdiag'), `#!/bin/sh\nexec "${process.execPath}" --import tsx "${ROOT}/bin/dev.js" "$@"\n`)
    chmodSync(join(dir, 'rpcdiag'), 0o755)
    const cases = [
      ['rpcdiag', 'call', '--proto', 'examples/order.proto', 'Or'],
      ['rpcdiag', 'methods', '--proto=examples/order.proto', ''],
      ['rpcdiag', 'sockets', 'state', 'close'],
      ['rpcdiag', 'sockets', '--state', 'time'],
      ['rpcdiag', 'sockets', 'sp'],
      ['rpcdiag', 'sniff', '-i', 'l'],
      ['rpcdiag', 'call', 'X', '--format', '=', 'j'],
      ['rpcdiag', 'so'],
      ['rpcdiag', 'sockets', '--ti'],
    ]
    const program = [
      `source '${script}'`,
      't() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _rpcdiag_dynamic; local IFS=,; echo "${COMPREPLY[*]}"; }',
      ...cases.map((c) => `t ${c.map((w) => `'${w}'`).join(' ')}`),
    ].join('\n')
    const out = execFileSync('bash', ['-c', program], {cwd: ROOT, env: {...process.env, PATH: `${dir}:${process.env.PATH}`}, encoding: 'utf8'}).trim().split('\n')
    expect(out).toEqual([
      'Order.makeOrder',
      'Order.makeOrder',
      'close-wait,closed',
      'time-wait',
      'sport',
      'lo',
      'json',
      'sockets',
      '--tinypb',
    ])
  })
})
