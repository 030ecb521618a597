import {appendFile, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {Hook} from '@oclif/core'

/**
 * oclif's postrun hook (package.json oclif.hooks): after
 * @oclif/plugin-autocomplete writes its bash and zsh scripts (`rpcdiag
 * autocomplete`, or its hidden autocomplete:create), add the dynamic part:
 * each TAB first asks `rpcdiag __complete` (method names from --proto,
 * states, interfaces: src/cli/complete.ts), and when it has nothing, the
 * plugin's own completion of commands and flags runs as before.
 */
const MARK = '# rpcdiag: dynamic completion'

export function bashGlue(bin: string): string {
  return `
${MARK} (methods from --proto, states, interfaces), else the above
_${bin}_dynamic()
{
  local IFS=$'\\n' cur="\${COMP_WORDS[COMP_CWORD]}"
  local -a found
  found=( $(${bin} __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) )
  if [[ \${#found[@]} -gt 0 ]]; then
    COMPREPLY=( $(compgen -W "\${found[*]}" -- "$cur") )
  else
    _${bin}_autocomplete
  fi
}
complete -o default -F _${bin}_dynamic ${bin}
`
}

export function zshGlue(bin: string): string {
  return `
${MARK} (methods from --proto, states, interfaces), else the plugin's _${bin}
_${bin}_dynamic() {
  local -a found
  found=("\${(@f)$(${bin} __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ -n "\${found[1]}" ]]; then
    compadd -a found
  else
    _${bin}
  fi
}
compdef _${bin}_dynamic ${bin}
`
}

/** Append the glue once to each script the plugin wrote. */
export async function addCompletionGlue(cacheDir: string, bin: string): Promise<void> {
  const dir = join(cacheDir, 'autocomplete')
  for (const [file, glue] of [
    [join(dir, 'functions', 'bash', `${bin}.bash`), bashGlue(bin)],
    [join(dir, 'zsh_setup'), zshGlue(bin)],
  ] as const) {
    const text = await readFile(file, 'utf8').catch(() => undefined)
    if (text !== undefined && !text.includes(MARK)) await appendFile(file, glue)
  }
}

const hook: Hook<'postrun'> = async function (opts) {
  const id = opts.Command?.id
  if (id === 'autocomplete' || id === 'autocomplete:create') await addCompletionGlue(opts.config.cacheDir, opts.config.bin)
}

export default hook
